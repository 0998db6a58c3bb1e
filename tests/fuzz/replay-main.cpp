// Runs a fuzz target over files instead of under libFuzzer: every file given
// on the command line, and every file below every folder given, is fed to
// LLVMFuzzerTestOneInput once. Replays the corpus in the wasm build (32-bit
// sizes, under node) and in builds without libFuzzer.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool is_dir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void collect_files(const std::string& dir, std::vector<std::string>* files) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = dir + "/" + e->d_name;
    if (is_dir(path)) collect_files(path, files);
    else files->push_back(path);
  }
  closedir(d);
}

std::vector<std::string> files_below(const std::string& dir) {
  std::vector<std::string> files;
  collect_files(dir, &files);
  std::sort(files.begin(), files.end());
  return files;
}

bool replay_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::vector<std::string> paths = is_dir(arg) ? files_below(arg) : std::vector<std::string>{arg};
    for (const std::string& path : paths) {
      if (!replay_file(path)) {
        std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
        return 2;
      }
      ++replayed;
    }
  }
  std::printf("replayed %d inputs without a crash\n", replayed);
  return replayed > 0 ? 0 : 2;
}
