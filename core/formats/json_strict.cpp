// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/json_strict.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <vector>

namespace attnscope {

namespace {

using json = nlohmann::json;

// Builds the DOM itself so that it sees every key before insertion (duplicate check), every container
// opening (depth check) and every value (count cap). Each step is O(1) or O(log keys), so parsing is linear
// in the text (nlohmann's callback parser, used before, was quadratic on many small objects). nlohmann's SAX driver is iterative, so a nesting bomb cannot
// overflow the stack before we refuse it.
class StrictBuilder {
public:
    explicit StrictBuilder(int maxDepth) : m_maxDepth(maxDepth) {}

    bool null() { return put(json(nullptr)); }
    bool boolean(bool v) { return put(json(v)); }
    bool number_integer(json::number_integer_t v) { return put(json(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return put(json(v)); }
    bool number_float(json::number_float_t v, const json::string_t&) { return put(json(v)); }
    bool string(json::string_t& v) { return put(json(std::move(v))); }
    bool binary(json::binary_t&) { return failWith("binary values are not JSON"); }

    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(json::string_t& k)
    {
        // One std::map lookup per key: insert a placeholder now (refusing a duplicate), fill it with the value
        // that follows. Map nodes never move, so the slot pointer stays valid.
        auto& members = m_stack.back()->get_ref<json::object_t&>();
        auto [it, inserted] = members.emplace(std::move(k), nullptr);
        if (!inserted)
            return failWith("duplicate key \"" + shortened(it->first, kMaxQuotedBytes) + "\"");
        m_slot = &it->second;
        return true;
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex)
    {
        m_errorPos = static_cast<int64_t>(position);
        return failWith(describeJsonError(ex.what()));
    }

    json result;
    std::string error;
    int64_t m_errorPos = -1;

private:
    bool failWith(std::string reason)
    {
        if (error.empty())
            error = std::move(reason);
        return false;
    }

    json* insert(json&& v)
    {
        if (m_stack.empty()) {
            result = std::move(v);
            return &result;
        }
        json* parent = m_stack.back();
        if (parent->is_object()) {
            *m_slot = std::move(v);
            return m_slot;
        }
        auto& items = parent->get_ref<json::array_t&>();
        items.push_back(std::move(v));
        return &items.back();
    }

    // Every value costs DOM memory (16 bytes plus a heap block per container) and time to build and free;
    // the cap keeps both proportional to what real model files need.
    bool countValue()
    {
        if (++m_values <= kMaxJsonValues)
            return true;
        return failWith("more than " + std::to_string(kMaxJsonValues) +
                        " JSON values (objects, arrays, strings, numbers); no model file needs that many");
    }

    bool put(json&& v)
    {
        if (!countValue())
            return false;
        insert(std::move(v));
        return true;
    }

    bool open(json&& container)
    {
        if (!countValue())
            return false;
        if (static_cast<int>(m_stack.size()) >= m_maxDepth)
            return failWith("JSON nesting deeper than " + std::to_string(m_maxDepth) + " levels");
        m_stack.push_back(insert(std::move(container)));
        return true;
    }

    bool close()
    {
        m_stack.pop_back();
        return true;
    }

    int m_maxDepth;
    uint64_t m_values = 0;
    std::vector<json*> m_stack;
    json* m_slot = nullptr;   // the member the next value of the innermost object goes into
};

} // namespace

std::string describeJsonError(std::string_view m)
{
    // "[json.exception.parse_error.101] parse error at line 1, column 7: syntax error while parsing value -
    // unexpected '}'; expected '[', '{', or a literal"  ->  "while reading a value: unexpected '}'; ..."
    if (m.substr(0, 16) == "[json.exception." && m.find("] ") != std::string_view::npos)
        m.remove_prefix(m.find("] ") + 2);
    if (m.substr(0, 11) == "parse error") {
        const size_t colon = m.find(": ");
        m.remove_prefix(colon == std::string_view::npos ? m.size() : colon + 2);
    }
    std::string out;
    if (constexpr std::string_view syntax = "syntax error while parsing "; m.substr(0, syntax.size()) == syntax) {
        m.remove_prefix(syntax.size());
        const size_t dash = m.find(" - ");
        out = "while reading " + std::string(dash == std::string_view::npos ? m : m.substr(0, dash));
        if (dash != std::string_view::npos)
            out += ": " + std::string(m.substr(dash + 3));
    } else {
        out = std::string(m);
    }
    if (out.empty())
        out = "malformed JSON";
    return shortened(out, 300);
}

nlohmann::json parseJsonStrict(std::string_view text, const std::string& file, const std::string& field,
                               int64_t baseOffset, int maxDepth, ErrorKind kind)
{
    if (size_t bad = findInvalidUtf8(text); bad != std::string_view::npos)
        throw Error(kind, file, field, baseOffset + static_cast<int64_t>(bad), "invalid UTF-8");
    StrictBuilder b(maxDepth);
    bool ok = false;
    try {
        ok = json::sax_parse(text.begin(), text.end(), &b, json::input_format_t::json, true, false);
    } catch (const json::exception& e) {
        // sax_parse reports through parse_error; this only catches library-internal surprises.
        throw Error(kind, file, field, baseOffset, "invalid JSON: " + describeJsonError(e.what()));
    }
    if (!ok) {
        const std::string reason = b.error.empty() ? std::string("invalid JSON") : b.error;
        // The builder's own refusals (duplicate key, depth, value count) come without a position: point at the
        // embedded text's start when there is one, else at no byte.
        throw Error(kind, file, field, b.m_errorPos >= 0 ? baseOffset + b.m_errorPos : baseOffset > 0 ? baseOffset : -1,
                    b.m_errorPos < 0 ? reason
                    : reason.rfind("while ", 0) == 0 ? "invalid JSON " + reason
                                                    : "invalid JSON: " + reason);
    }
    return std::move(b.result);
}

} // namespace attnscope
