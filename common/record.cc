#include "common/record.h"

namespace edgeline {

const char* FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kFloat: return "float";
    case FieldType::kInt: return "int";
    case FieldType::kString: return "string";
    case FieldType::kBool: return "bool";
  }
  return "?";
}

bool ParseFieldType(const std::string& name, FieldType* type) {
  if (name == "float") *type = FieldType::kFloat;
  else if (name == "int") *type = FieldType::kInt;
  else if (name == "string") *type = FieldType::kString;
  else if (name == "bool") *type = FieldType::kBool;
  else return false;
  return true;
}

}  // namespace edgeline
