#include "io/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace strata {
namespace {

// Closes the descriptor on every path out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void fail_errno(const std::string& path, int error) {
  switch (error) {
    case ENOENT: throw Error(path + ": no such file");
    case EACCES:
    case EPERM: throw Error(path + ": permission denied");
    case EISDIR: throw Error(path + ": is a directory");
    case ENXIO:
    case ENODEV: throw Error(path + ": not a regular file");
    default: throw Error(path + ": cannot open the file (" + std::strerror(error) + ")");
  }
}

// The type check on the open descriptor, so that what is checked is what is read.
void require_regular(const std::string& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail_errno(path, errno);
  if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory");
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) fail_errno(path, errno);
  require_regular(path, fd.get());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || st.st_size < 0) throw Error(path + ": cannot read the file size");
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(path + ": could not read the whole file");
    done += static_cast<size_t>(n);
  }
  return bytes;
}

std::string read_file_text(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_file_bytes(const std::string& path, const std::string& bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory");
    if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
  }
  const FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0644));
  if (fd.get() < 0) fail_errno(path, errno);
  require_regular(path, fd.get());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(path + ": cannot write the file (" + std::strerror(errno) + ")");
    done += static_cast<size_t>(n);
  }
}

bool file_exists(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  return errno != ENOENT && errno != ENOTDIR;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace strata
