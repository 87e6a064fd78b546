// Fuzz target: arbitrary user text through a real byte-level BPE tokenizer (tiny-llama's tokenizer.json) and a
// SentencePiece BPE one (corpus/gguf/tiny-spm.gguf: byte fallback, user-defined, control and unused pieces) —
// invalid UTF-8, special-token fragments, long runs. Every token's span must lie inside the text.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "fuzz_target.h"

#include "core/formats/checkpoint.h"
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

const attnscope::Tokenizer& sentencePieceTokenizer()
{
    static const std::unique_ptr<attnscope::Tokenizer> tok =
        attnscope::makeTokenizer(*attnscope::openCheckpoint(ATTNSCOPE_FUZZ_SPM_GGUF));
    return *tok;
}

void checkSpans(const attnscope::Tokenizer& tok, std::string_view text)
{
    using namespace attnscope;
    try {
        TokenizedText t = tok.encode(text);
        for (size_t i = 0; i < t.size(); ++i)
            if (t.byteBegin[i] > t.byteEnd[i] || t.byteEnd[i] > text.size())
                std::abort();   // a span outside the text is a bug, not an input error
    } catch (const Error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace attnscope;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    checkSpans(tokenizer(), text);
    checkSpans(sentencePieceTokenizer(), text);
    return 0;
}
