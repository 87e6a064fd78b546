// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/json_strict.h"
#include "core/util/error.h"

#include <vector>

namespace attnscope {

size_t findInvalidUtf8(std::string_view text)
{
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i; // continuation byte as lead, 0xC0/0xC1 overlong leads, 0xF5.. out of range
        }
        if (n - i < len)
            return i;
        for (size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return std::string_view::npos;
}

namespace {

using json = nlohmann::json;

// Builds the DOM itself so that it sees every key before insertion (duplicate check) and every
// container opening (depth check). nlohmann's SAX driver is iterative, so a nesting bomb cannot
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
        json* obj = m_stack.back();
        if (obj->contains(k))
            return failWith("duplicate key \"" + k + "\"");
        m_key = std::move(k);
        return true;
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex)
    {
        m_errorPos = static_cast<int64_t>(position);
        return failWith(ex.what());
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
            json& slot = (*parent)[m_key];
            slot = std::move(v);
            return &slot;
        }
        parent->push_back(std::move(v));
        return &parent->back();
    }

    bool put(json&& v)
    {
        insert(std::move(v));
        return true;
    }

    bool open(json&& container)
    {
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
    std::vector<json*> m_stack;
    std::string m_key;
};

} // namespace

nlohmann::json parseJsonStrict(std::string_view text, const std::string& file, const std::string& field,
                               int64_t baseOffset, int maxDepth)
{
    if (size_t bad = findInvalidUtf8(text); bad != std::string_view::npos)
        throw Error::format(file, field, baseOffset + static_cast<int64_t>(bad), "invalid UTF-8");
    StrictBuilder b(maxDepth);
    bool ok = false;
    try {
        ok = json::sax_parse(text.begin(), text.end(), &b, json::input_format_t::json, true, false);
    } catch (const json::exception& e) {
        // sax_parse reports through parse_error; this only catches library-internal surprises.
        throw Error::format(file, field, baseOffset, std::string("invalid JSON: ") + e.what());
    }
    if (!ok) {
        const std::string reason = b.error.empty() ? std::string("invalid JSON") : b.error;
        throw Error::format(file, field, b.m_errorPos >= 0 ? baseOffset + b.m_errorPos : baseOffset,
                            b.m_errorPos >= 0 ? "invalid JSON: " + reason : reason);
    }
    return std::move(b.result);
}

} // namespace attnscope
