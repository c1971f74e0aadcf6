// Plain-text tables for the CLI: columns padded to their widest cell.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace edgeline {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size() - 1; }
  void Print(std::ostream& os) const;
  // RFC 4180 CSV of header and rows.
  void PrintCsv(std::ostream& os) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace edgeline
