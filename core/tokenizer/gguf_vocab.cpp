// GGUF tokenizer.ggml.* metadata -> TokenizerSpec (docs/FORMATS.md; llama.cpp src/llama-vocab.cpp). GGUF does not store the
// pre-tokenizer regex: tokenizer.ggml.pre names it, and we map the names to the patterns llama.cpp
// (llama-vocab.cpp) and the original HF tokenizers use. Unknown names are refused.
// tokenizer.ggml.model = "llama" is SentencePiece BPE (pieces, scores, types; no merges): see
// sentencePieceSpec below and spm_model.cpp.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <array>
#include <cctype>
#include <cmath>

namespace attnscope {
namespace {

// HF originals; PCRE2 supports (?i:...) so the case-insensitive contractions need no rewriting.
const char* const kLlama3Pattern = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
                                   "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kQwen2Pattern = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
                                  "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

[[noreturn]] void fail(const std::string& file, const std::string& key, const std::string& reason,
                       ErrorKind kind = ErrorKind::Tokenizer)
{
    throw Error(kind, file, key, -1, reason);
}

const MetaValue* find(const Checkpoint& c, const std::string& key)
{
    auto it = c.metadata.find(key);
    return it == c.metadata.end() ? nullptr : &it->second;
}

int32_t optionalId(const Checkpoint& c, const std::string& key, size_t nTokens)
{
    const MetaValue* v = find(c, key);
    if (!v)
        return -1;
    if (!v->isInteger())
        fail(c.path, key, "expected an integer token id");
    const int64_t id = v->type == MetaValue::Type::UInt ? (v->u > uint64_t(INT64_MAX) ? -2 : int64_t(v->u)) : v->i;
    if (id < 0 || uint64_t(id) >= nTokens)
        fail(c.path, key, "token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(nTokens));
    return int32_t(id);
}

bool optionalBool(const Checkpoint& c, const std::string& key, bool def)
{
    const MetaValue* v = find(c, key);
    if (!v)
        return def;
    if (v->type != MetaValue::Type::Bool)
        fail(c.path, key, "expected a boolean");
    return v->b;
}

// tokenizer.ggml.pre -> pre-tokenizer steps (llama.cpp groups several ids under one regex list).
std::vector<PreTokenizerStep> preTokenizerFor(const std::string& pre, const std::string& file)
{
    const std::string where = file + ": tokenizer.ggml.pre";
    if (pre == "gpt-2" || pre == "mpt" || pre == "olmo" || pre == "jais")
        return {PreTokenizer::byteLevel(false, true, where)};
    if (pre == "llama-bpe" || pre == "llama3" || pre == "dbrx" || pre == "smaug-bpe")
        return {PreTokenizer::split(std::make_shared<Regex>(kLlama3Pattern, where), SplitBehavior::Isolated, false),
                PreTokenizer::byteLevel(false, false, where)};
    if (pre == "qwen2" || pre == "stablelm2" || pre == "deepseek-r1-qwen" || pre == "megrez")
        return {PreTokenizer::split(std::make_shared<Regex>(kQwen2Pattern, where), SplitBehavior::Isolated, false),
                PreTokenizer::byteLevel(false, false, where)};
    if (pre == "smollm" || pre == "starcoder" || pre == "refact" || pre == "command-r" || pre == "codeshell"
        || pre == "exaone" || pre == "minerva-7b")
        // Digits one at a time, then GPT-2 (SmolLM2's tokenizer.json: Digits(individual) + ByteLevel).
        return {PreTokenizer::digits(true, where), PreTokenizer::byteLevel(false, true, where)};
    fail(file, "tokenizer.ggml.pre", "pre-tokenizer " + quotedValue(pre) + " is not supported (known: gpt-2, llama-bpe, "
                                     "qwen2, smollm, starcoder, refact and their llama.cpp aliases)",
         ErrorKind::Unsupported);
}

const char* const kSpace = "\xE2\x96\x81";   // U+2581, SentencePiece's spelling of a space

std::string spaceAsU2581(const std::string& t)
{
    std::string r;
    for (char c : t)
        r += c == ' ' ? std::string(kSpace) : std::string(1, c);
    return r;
}

// "<0xNN>", the spelling llama.cpp looks byte pieces up by when a file has no token types.
bool spelledAsByte(const std::string& t)
{
    return t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && std::isxdigit(static_cast<unsigned char>(t[3]))
           && std::isxdigit(static_cast<unsigned char>(t[4]));
}

// tokenizer.ggml.model = "llama": SentencePiece BPE, as llama.cpp (llm_tokenizer_spm, tokenize_impl) and
// SentencePiece (bpe_model.cc) do it:
//   - control and unknown tokens are matched in the raw text (llama.cpp's parse_special, HF's special tokens);
//   - the rest is normalized: a space prefix when tokenizer.ggml.add_space_prefix (default true, llama.cpp),
//     spaces as U+2581; llama.cpp adds the prefix to each stretch of text after a special token, and so do we
//     (the normalizer runs per stretch);
//   - user-defined tokens (Gemma: runs of "\n", "\t" and spaces, HTML tags) are matched whole in the normalized
//     text, as SentencePiece's user_defined_symbols; llama.cpp's converter wrote their U+2581 as spaces, so
//     they are matched with spaces spelled U+2581 again;
//   - BOS/EOS per tokenizer.ggml.add_bos_token (default true) / add_eos_token (default false).
void sentencePieceSpec(const Checkpoint& ckpt, const MetaValue& tokens, const std::vector<int64_t>& types,
                       bool haveTypes, TokenizerSpec& spec)
{
    const std::string& file = ckpt.path;
    const size_t n = tokens.as.size();
    spec.model = TokenizerSpec::Model::SentencePieceBpe;
    spec.byteLevel = false;
    spec.byteFallback = true;
    spec.pieceScores.assign(n, 0.0f);   // llama.cpp: scores are optional and default to 0
    if (const MetaValue* sc = find(ckpt, "tokenizer.ggml.scores")) {
        if (sc->type != MetaValue::Type::ArrayFloat)
            fail(file, "tokenizer.ggml.scores", "expected an array of floats");
        for (size_t i = 0; i < n; ++i) {
            // NaN would break the ordering of the merge queue; infinities are no score either.
            if (!std::isfinite(sc->af[i]) || std::fabs(sc->af[i]) > 3.0e38)
                fail(file, "tokenizer.ggml.scores[" + std::to_string(i) + "]", "score is not a finite float");
            spec.pieceScores[i] = float(sc->af[i]);
        }
    }
    spec.pieceTypes.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string& t = tokens.as[i];
        spec.pieceTypes[i] = haveTypes ? PieceType(types[i]) : (spelledAsByte(t) ? PieceType::Byte : PieceType::Normal);
        if (spec.pieceTypes[i] == PieceType::Byte && !spelledAsByte(t))
            fail(file, "tokenizer.ggml.tokens[" + std::to_string(i) + "]",
                 "byte token \"" + t + "\" must be spelled <0xNN> with exactly two hex digits");
        spec.vocab.emplace_back(t, int32_t(i));
        const PieceType pt = spec.pieceTypes[i];
        if (pt == PieceType::Control || pt == PieceType::Unknown || pt == PieceType::UserDefined) {
            if (t.empty())
                fail(file, "tokenizer.ggml.tokens[" + std::to_string(i) + "]", "special token is empty");
            AddedToken a;
            a.id = int32_t(i);
            a.special = pt != PieceType::UserDefined;
            a.normalized = pt == PieceType::UserDefined;
            a.content = a.normalized ? spaceAsU2581(t) : t;
            if (a.content.size() > kMaxTokenBytes)
                fail(file, "tokenizer.ggml.tokens[" + std::to_string(i) + "]",
                     "token is longer than " + std::to_string(kMaxTokenBytes) + " bytes");
            spec.added.push_back(std::move(a));
        }
    }
    if (optionalBool(ckpt, "tokenizer.ggml.add_space_prefix", true)) {
        NormalizerStep prepend;
        prepend.kind = NormalizerStep::Kind::Prepend;
        prepend.content = kSpace;
        spec.normalizer.push_back(prepend);
    }
    NormalizerStep replace;
    replace.kind = NormalizerStep::Kind::Replace;
    replace.pattern = " ";
    replace.content = kSpace;
    spec.normalizer.push_back(replace);

    const int32_t unk = optionalId(ckpt, "tokenizer.ggml.unknown_token_id", n);
    if (unk >= 0) {
        spec.unkToken = tokens.as[unk];
    } else {
        // A character outside the vocabulary needs its byte pieces or the unknown token.
        std::array<bool, 256> haveByte{};
        for (size_t i = 0; i < n; ++i)
            if (spec.pieceTypes[i] == PieceType::Byte)
                haveByte[std::stoi(tokens.as[i].substr(3, 2), nullptr, 16)] = true;
        for (int b = 0; b < 256; ++b)
            if (!haveByte[b])
                fail(file, "tokenizer.ggml.unknown_token_id",
                     "missing, and the vocabulary lacks byte piece " + std::to_string(b)
                         + " (<0xNN>), so text outside the vocabulary could not be encoded");
    }
    spec.bos = optionalId(ckpt, "tokenizer.ggml.bos_token_id", n);
    spec.eos = optionalId(ckpt, "tokenizer.ggml.eos_token_id", n);
    if (optionalBool(ckpt, "tokenizer.ggml.add_bos_token", true)) {
        if (spec.bos < 0)
            fail(file, "tokenizer.ggml.bos_token_id", "add_bos_token is true (the default) but no BOS id is set");
        spec.prefixIds.push_back(spec.bos);
    }
    if (optionalBool(ckpt, "tokenizer.ggml.add_eos_token", false)) {
        if (spec.eos < 0)
            fail(file, "tokenizer.ggml.eos_token_id", "add_eos_token is true but no EOS id is set");
        spec.suffixIds.push_back(spec.eos);
    }
}

} // namespace

std::unique_ptr<Tokenizer> makeTokenizerFromGguf(const Checkpoint& ckpt)
{
    const std::string& file = ckpt.path;
    const MetaValue* model = find(ckpt, "tokenizer.ggml.model");
    if (!model || model->type != MetaValue::Type::String)
        fail(file, "tokenizer.ggml.model", "missing or not a string: the file carries no tokenizer");
    const MetaValue* tokens = find(ckpt, "tokenizer.ggml.tokens");
    if (!tokens || tokens->type != MetaValue::Type::ArrayString)
        fail(file, "tokenizer.ggml.tokens", "missing or not an array of strings");
    const size_t n = tokens->as.size();
    if (n == 0 || n > kMaxVocab)
        fail(file, "tokenizer.ggml.tokens", "vocabulary size " + std::to_string(n) + " is not in [1, 2^24]");

    for (size_t i = 0; i < n; ++i)
        if (tokens->as[i].size() > kMaxTokenBytes)
            fail(file, "tokenizer.ggml.tokens[" + std::to_string(i) + "]",
                 "token is longer than " + std::to_string(kMaxTokenBytes) + " bytes");
    std::vector<int64_t> types(n, 1);
    const MetaValue* tt = find(ckpt, "tokenizer.ggml.token_type");
    if (tt) {
        if (tt->type != MetaValue::Type::ArrayInt && tt->type != MetaValue::Type::ArrayUInt)
            fail(file, "tokenizer.ggml.token_type", "expected an integer array");
        if (tt->arraySize() != n)
            fail(file, "tokenizer.ggml.token_type", "has " + std::to_string(tt->arraySize()) + " entries for "
                                                        + std::to_string(n) + " tokens");
        for (size_t i = 0; i < n; ++i) {
            types[i] = tt->type == MetaValue::Type::ArrayInt ? tt->ai[i] : int64_t(std::min<uint64_t>(tt->au[i], 99));
            if (types[i] < 0 || types[i] > 6)
                fail(file, "tokenizer.ggml.token_type", "token " + std::to_string(i) + " has unknown type "
                                                            + std::to_string(types[i]));
        }
    }
    if (const MetaValue* sc = find(ckpt, "tokenizer.ggml.scores"); sc && sc->arraySize() != n)
        fail(file, "tokenizer.ggml.scores", "has " + std::to_string(sc->arraySize()) + " entries for "
                                                + std::to_string(n) + " tokens");

    TokenizerSpec spec;
    spec.source = file;
    const std::string kindName = model->s;
    const bool bert = kindName == "bert";
    if (kindName == "llama") {
        sentencePieceSpec(ckpt, *tokens, types, tt != nullptr, spec);
        optionalId(ckpt, "tokenizer.ggml.padding_token_id", n);   // validated even though encode() never pads
        return std::make_unique<PipelineTokenizer>(std::move(spec));
    }
    if (kindName != "gpt2" && !bert)
        fail(file, "tokenizer.ggml.model", "tokenizer model " + quotedValue(kindName) + " is not supported (gpt2, llama and bert are)",
             ErrorKind::Unsupported);

    // llama.cpp's converter stores WordPiece vocabularies with a phantom-space marker: word starts as
    // "▁word", continuations without "##". Convert back when that convention is in use.
    bool phantom = false;
    if (bert)
        for (size_t i = 0; i < n && !phantom; ++i)
            phantom = types[i] == 1 && tokens->as[i].rfind("\xE2\x96\x81", 0) == 0;

    spec.vocab.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string& t = tokens->as[i];
        if (types[i] == 3 || types[i] == 4) {
            // Control and user-defined tokens are matched in the raw text, by their literal content.
            AddedToken a;
            a.content = t;
            a.id = int32_t(i);
            a.special = types[i] == 3;
            if (t.empty())
                fail(file, "tokenizer.ggml.tokens", "special token " + std::to_string(i) + " is empty");
            spec.added.push_back(std::move(a));
            spec.vocab.emplace_back(t, int32_t(i));
            continue;
        }
        if (bert && phantom && !(t.size() > 1 && t.front() == '[' && t.back() == ']'))
            spec.vocab.emplace_back(t.rfind("\xE2\x96\x81", 0) == 0 ? t.substr(3) : "##" + t, int32_t(i));
        else
            spec.vocab.emplace_back(t, int32_t(i));
    }

    if (bert) {
        spec.model = TokenizerSpec::Model::WordPiece;
        const int32_t unk = optionalId(ckpt, "tokenizer.ggml.unknown_token_id", n);
        if (unk < 0)
            fail(file, "tokenizer.ggml.unknown_token_id", "WordPiece needs an unknown token");
        spec.unkToken = spec.vocab[unk].first;
        NormalizerStep bertNorm;
        bertNorm.kind = NormalizerStep::Kind::Bert;
        spec.normalizer.push_back(bertNorm);
        spec.preTokenizer = PreTokenizer::bert(file);
        int32_t cls = optionalId(ckpt, "tokenizer.ggml.cls_token_id", n);
        if (cls < 0)
            cls = optionalId(ckpt, "tokenizer.ggml.bos_token_id", n);
        // The separator key is spelled both ways in the wild (llama.cpp "seperator", gguf.md "separator").
        int32_t sep = optionalId(ckpt, "tokenizer.ggml.seperator_token_id", n);
        if (sep < 0)
            sep = optionalId(ckpt, "tokenizer.ggml.separator_token_id", n);
        if (sep < 0)
            sep = optionalId(ckpt, "tokenizer.ggml.eos_token_id", n);
        if (optionalBool(ckpt, "tokenizer.ggml.add_bos_token", true)) {
            if (cls < 0)
                fail(file, "tokenizer.ggml.cls_token_id", "add_bos_token is true but no CLS/BOS id is set");
            spec.prefixIds.push_back(cls);
        }
        if (optionalBool(ckpt, "tokenizer.ggml.add_eos_token", true)) {
            if (sep < 0)
                fail(file, "tokenizer.ggml.seperator_token_id", "add_eos_token is true but no SEP/EOS id is set");
            spec.suffixIds.push_back(sep);
        }
        spec.bos = cls;
        spec.eos = sep;
    } else {
        spec.model = TokenizerSpec::Model::Bpe;
        spec.byteLevel = true;
        spec.mergesField = "tokenizer.ggml.merges";
        const MetaValue* merges = find(ckpt, "tokenizer.ggml.merges");
        if (!merges || merges->type != MetaValue::Type::ArrayString)
            fail(file, "tokenizer.ggml.merges", "missing or not an array of strings");
        spec.merges.reserve(merges->as.size());
        for (size_t i = 0; i < merges->as.size(); ++i) {
            const std::string& s = merges->as[i];
            const size_t sp = s.find(' ');
            if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size() || s.find(' ', sp + 1) != std::string::npos)
                fail(file, "tokenizer.ggml.merges[" + std::to_string(i) + "]",
                     "merge " + quotedValue(s) + " is not two tokens separated by one space");
            spec.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
        }
        const MetaValue* pre = find(ckpt, "tokenizer.ggml.pre");
        if (!pre || pre->type != MetaValue::Type::String)
            fail(file, "tokenizer.ggml.pre", "missing: the pre-tokenizer regex cannot be chosen");
        spec.preTokenizer = preTokenizerFor(pre->s, file);
        const int32_t unk = optionalId(ckpt, "tokenizer.ggml.unknown_token_id", n);
        (void)unk;   // byte-level BPE never needs it: every byte has a token
        spec.bos = optionalId(ckpt, "tokenizer.ggml.bos_token_id", n);
        spec.eos = optionalId(ckpt, "tokenizer.ggml.eos_token_id", n);
        // Absent flags mean no BOS/EOS, as HF's GPT-2-style tokenizers do.
        if (optionalBool(ckpt, "tokenizer.ggml.add_bos_token", false)) {
            if (spec.bos < 0)
                fail(file, "tokenizer.ggml.bos_token_id", "add_bos_token is true but no BOS id is set");
            spec.prefixIds.push_back(spec.bos);
        }
        if (optionalBool(ckpt, "tokenizer.ggml.add_eos_token", false)) {
            if (spec.eos < 0)
                fail(file, "tokenizer.ggml.eos_token_id", "add_eos_token is true but no EOS id is set");
            spec.suffixIds.push_back(spec.eos);
        }
    }
    optionalId(ckpt, "tokenizer.ggml.padding_token_id", n);   // validated even though encode() never pads
    return std::make_unique<PipelineTokenizer>(std::move(spec));
}

std::unique_ptr<Tokenizer> makeTokenizer(const Checkpoint& ckpt)
{
    if (!ckpt.tokenizerJson.empty())
        return makeTokenizerFromHfJson(ckpt.tokenizerJson, ckpt.tokenizerConfigJson, ckpt.path + "/tokenizer.json");
    if (ckpt.metadata.count("tokenizer.ggml.model"))
        return makeTokenizerFromGguf(ckpt);
    throw Error(ErrorKind::Tokenizer, ckpt.path, "tokenizer", -1,
                "the checkpoint has no tokenizer (no tokenizer.json and no tokenizer.ggml.* metadata)");
}

} // namespace attnscope
