// Fuzz target: a hostile tokenizer.json (the first line of the input is used as text to encode).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_target.h"

#include "core/tokenizer/tokenizer.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    std::string_view all(reinterpret_cast<const char*>(data), size);
    const size_t nl = all.find('\n');
    const std::string_view text = nl == std::string_view::npos ? std::string_view("Hello world") : all.substr(0, nl);
    const std::string_view json = nl == std::string_view::npos ? all : all.substr(nl + 1);
    try {
        auto tok = makeTokenizerFromHfJson(json, {}, "fuzz/tokenizer.json");
        TokenizedText t = tok->encode(text);
        for (int32_t id : t.ids)
            tok->tokenDisplay(id);
    } catch (const Error&) {
    }
    return 0;
}
