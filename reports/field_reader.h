// Reading typed fields out of a JSON document by path, for the readers of
// result.json (result_model.cc, drill_record.cc): the first error wins and
// names the field ("field 'scenarios[0].cases' is missing", "... is not an
// unsigned integer (it is -3)"). Internal to reports/.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace crashdrill::reports {

inline std::string Member(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

inline std::string Element(const std::string& path, size_t index) {
  return fmt::format("{}[{}]", path, index);
}

// The largest duration a result holds, in ms (about 31 years): anything
// beyond is a damaged or hostile file, not a measurement.
constexpr double kMaxMs = 1e12;

// Reads typed fields out of a JSON document by path; the first error wins and
// names the field.
class FieldReader {
 public:
  // The member `key` of the object at `path`, or nullptr (an error) if it is missing.
  const nlohmann::json* Find(const nlohmann::json& object, const std::string& path,
                             const std::string& key) {
    const auto it = object.find(key);
    if (it == object.end()) {
      Fail(fmt::format("field '{}' is missing", Member(path, key)));
      return nullptr;
    }
    return &*it;
  }

  const nlohmann::json* Object(const nlohmann::json& object, const std::string& path,
                               const std::string& key) {
    return Typed(object, path, key, nlohmann::json::value_t::object, "an object");
  }
  const nlohmann::json* Array(const nlohmann::json& object, const std::string& path,
                              const std::string& key) {
    return Typed(object, path, key, nlohmann::json::value_t::array, "a list");
  }

  void String(const nlohmann::json& object, const std::string& path, const std::string& key,
              std::string* out) {
    const nlohmann::json* value =
        Typed(object, path, key, nlohmann::json::value_t::string, "a string");
    if (value != nullptr) *out = value->get<std::string>();
  }
  void Bool(const nlohmann::json& object, const std::string& path, const std::string& key,
            bool* out) {
    const nlohmann::json* value =
        Typed(object, path, key, nlohmann::json::value_t::boolean, "true or false");
    if (value != nullptr) *out = value->get<bool>();
  }
  void Unsigned(const nlohmann::json& value, const std::string& path, uint64_t* out) {
    if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0)) {
      return NotA(path, value, "an unsigned integer");
    }
    *out = value.get<uint64_t>();
  }
  void Unsigned(const nlohmann::json& object, const std::string& path, const std::string& key,
                uint64_t* out) {
    if (const nlohmann::json* value = Find(object, path, key))
      Unsigned(*value, Member(path, key), out);
  }
  void Integer(const nlohmann::json& object, const std::string& path, const std::string& key,
               int64_t* out) {
    const nlohmann::json* value = Find(object, path, key);
    if (value == nullptr) return;
    if (!value->is_number_integer() ||
        (value->is_number_unsigned() && value->get<uint64_t>() > INT64_MAX)) {
      return NotA(Member(path, key), *value, "an integer");
    }
    *out = value->get<int64_t>();
  }
  void Number(const nlohmann::json& value, const std::string& path, double* out) {
    if (!value.is_number()) return NotA(path, value, "a number");
    *out = value.get<double>();
  }
  void Number(const nlohmann::json& object, const std::string& path, const std::string& key,
              double* out) {
    if (const nlohmann::json* value = Find(object, path, key))
      Number(*value, Member(path, key), out);
  }
  // An object of unsigned counts, such as recovered_from.
  void Counts(const nlohmann::json& object, const std::string& path, const std::string& key,
              std::map<std::string, uint64_t>* out) {
    const nlohmann::json* counts = Object(object, path, key);
    if (counts == nullptr) return;
    for (const auto& [name, n] : counts->items()) {
      Unsigned(n, Member(Member(path, key), name), &(*out)[name]);
    }
  }
  void Numbers(const nlohmann::json& object, const std::string& path, const std::string& key,
               std::vector<double>* out) {
    const nlohmann::json* values = Array(object, path, key);
    if (values == nullptr) return;
    out->resize(values->size());
    for (size_t i = 0; i < values->size(); ++i) {
      Number((*values)[i], Element(Member(path, key), i), &(*out)[i]);
    }
  }

  void Fail(std::string message) {
    if (!error_) error_ = std::move(message);
  }
  bool failed() const { return error_.has_value(); }
  const std::string& error() const { return *error_; }

 private:
  const nlohmann::json* Typed(const nlohmann::json& object, const std::string& path,
                              const std::string& key, nlohmann::json::value_t type,
                              const char* what) {
    const nlohmann::json* value = Find(object, path, key);
    if (value == nullptr) return nullptr;
    if (value->type() != type) {
      NotA(Member(path, key), *value, what);
      return nullptr;
    }
    return value;
  }
  void NotA(const std::string& path, const nlohmann::json& value, const char* what) {
    std::string text = value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    Fail(fmt::format("field '{}' is not {} (it is {})", path, what, text));
  }

  std::optional<std::string> error_;
};

}  // namespace crashdrill::reports
