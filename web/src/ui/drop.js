// Files from a drag-and-drop: dropped folders are walked (one level of nesting is
// what a Hugging Face folder has, but any depth works), so a user can drop the
// model folder itself rather than the files inside it.
const MAX_FILES = 256;

export async function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items ?? [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...(dataTransfer.files ?? [])];
  const files = [];
  const queue = [...entries];
  while (queue.length && files.length < MAX_FILES) {
    const entry = queue.shift();
    if (entry.isFile) files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    else if (entry.isDirectory) queue.push(...await readAll(entry.createReader()));
  }
  return files;
}

async function readAll(reader) {
  const out = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length || out.length > MAX_FILES) return out;
    out.push(...batch);
  }
}
