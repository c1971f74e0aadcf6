#include "cli/table.h"

#include <algorithm>

namespace edgeline {

void Table::Print(std::ostream& os) const {
  std::vector<size_t> width;
  for (const auto& r : rows_) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows_) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    os << line << "\n";
  }
}

void Table::PrintCsv(std::ostream& os) const {
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string& c = r[i];
      if (c.find_first_of(",\"\r\n") != std::string::npos) {
        std::string q = "\"";
        for (char ch : c) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        os << q << "\"";
      } else {
        os << c;
      }
      os << (i + 1 < r.size() ? "," : "\n");
    }
  }
}

}  // namespace edgeline
