// Reading and writing whole files, with errors that name the path.
//
// A path is checked before any byte is read: a directory, a FIFO, a device or
// a socket is refused ("<path>: is a directory", "<path>: not a regular
// file"), as is a file the process may not open ("<path>: permission
// denied"), each in one line. Opening never blocks (a FIFO is opened
// non-blocking, then refused).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

std::vector<uint8_t> read_file_bytes(const std::string& path);
std::string read_file_text(const std::string& path);
// Creates or truncates a regular file; refuses directories and other non-regular files.
void write_file_bytes(const std::string& path, const std::string& bytes);
// True when something exists at the path (of any type, readable or not): an
// optional file that exists but cannot be read is an error, not a missing file.
bool file_exists(const std::string& path);
std::string join_path(const std::string& dir, const std::string& name);

}  // namespace strata
