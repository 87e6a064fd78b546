// Fuzz target: arbitrary user text through a real byte-level BPE tokenizer (tiny-llama's tokenizer.json) —
// invalid UTF-8, special-token fragments, long runs. Every token's span must lie inside the text.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_target.h"

#include "core/tokenizer/tokenizer.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace {

const attnscope::Tokenizer& tokenizer()
{
    static const std::unique_ptr<attnscope::Tokenizer> tok = [] {
        std::ifstream in(ATTNSCOPE_FUZZ_TOKENIZER_JSON);
        std::stringstream ss;
        ss << in.rdbuf();
        return attnscope::makeTokenizerFromHfJson(ss.str(), {}, ATTNSCOPE_FUZZ_TOKENIZER_JSON);
    }();
    return *tok;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        TokenizedText t = tokenizer().encode(text);
        for (size_t i = 0; i < t.size(); ++i)
            if (t.byteBegin[i] > t.byteEnd[i] || t.byteEnd[i] > size)
                std::abort();   // a span outside the text is a bug, not an input error
    } catch (const Error&) {
    }
    return 0;
}
