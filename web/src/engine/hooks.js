// The model's hook table as the engine reports it (info.hooks), indexed by the
// part after "blocks.{l}." and by layer. The page looks hook names up here and
// never assembles one by hand.
export class HookTable {
  constructor(names) {
    this.byPart = new Map();
    this.global = new Set();
    for (const name of names) {
      const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
      if (!m) {
        this.global.add(name);
        continue;
      }
      if (!this.byPart.has(m[2])) this.byPart.set(m[2], []);
      this.byPart.get(m[2])[Number(m[1])] = name;
    }
  }

  name(part, layer) {
    const name = this.byPart.get(part)?.[layer];
    if (!name) throw new Error(`the model has no hook "${part}" in layer ${layer}`);
    return name;
  }

  // {part, layer} of a name in the table (layer null for a global hook), or null.
  locate(name) {
    if (this.global.has(name)) return { part: name, layer: null };
    const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
    return m && this.byPart.get(m[2])?.[Number(m[1])] === name ? { part: m[2], layer: Number(m[1]) } : null;
  }

  all(part) {
    return (this.byPart.get(part) ?? []).filter(Boolean);
  }
}
