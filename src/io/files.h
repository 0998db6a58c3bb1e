// Reading whole files, with errors that name the path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

std::vector<uint8_t> read_file_bytes(const std::string& path);
std::string read_file_text(const std::string& path);
bool file_exists(const std::string& path);
std::string join_path(const std::string& dir, const std::string& name);

}  // namespace strata
