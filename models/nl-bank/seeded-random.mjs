// mulberry32: a small seeded generator of numbers in [0, 1), the same on every
// machine and node version (Math.random is neither seeded nor portable). The
// bank is drawn with it, and tests draw their mutations with it.
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
