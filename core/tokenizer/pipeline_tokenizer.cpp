// PipelineTokenizer: validation of a TokenizerSpec (caps in docs/SECURITY.md) and the encode pipeline.
// The model steps live in bpe_model.cpp, wordpiece_model.cpp and spm_model.cpp.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/tokenizer/byte_unicode.h"
#include "core/tokenizer/utf8.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <algorithm>

namespace attnscope {
namespace {

[[noreturn]] void fail(const TokenizerSpec& s, const std::string& field, const std::string& reason)
{
    throw Error(ErrorKind::Tokenizer, s.source, field, -1, reason);
}

// "<0xNN>" with exactly two hex digits -> byte value; -1 otherwise.
int parseByteToken(std::string_view t)
{
    if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>')
        return -1;
    int v = 0;
    for (size_t i = 3; i < 5; ++i) {
        const char c = t[i];
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

} // namespace

PipelineTokenizer::PipelineTokenizer(TokenizerSpec spec)
    : m_spec(std::move(spec))
{
    const auto& s = m_spec;
    if (s.vocab.empty())
        fail(s, "vocab", "the vocabulary is empty");
    if (s.vocab.size() > kMaxVocab || s.added.size() > kMaxVocab)
        fail(s, "vocab", "more than 2^24 tokens");

    // Ids: unique, in [0, 2^24); the table size is the largest id + 1.
    int64_t maxId = -1;
    for (const auto& [text, id] : s.vocab) {
        if (id < 0 || size_t(id) >= kMaxVocab)
            fail(s, "vocab", "token id " + std::to_string(id) + " out of range");
        maxId = std::max<int64_t>(maxId, id);
    }
    for (const auto& t : s.added) {
        if (t.id < 0 || size_t(t.id) >= kMaxVocab)
            fail(s, "added_tokens", "token id " + std::to_string(t.id) + " out of range");
        if (t.content.empty() || t.content.size() > kMaxTokenBytes)
            fail(s, "added_tokens", "token " + std::to_string(t.id) + " has an empty or over-long content");
        maxId = std::max<int64_t>(maxId, t.id);
    }
    const size_t n = size_t(maxId + 1);
    m_tokenText.assign(n, {});
    m_vocab.reserve(s.vocab.size());
    std::vector<bool> seen(n, false);
    for (const auto& [text, id] : s.vocab) {
        if (seen[id])
            fail(s, "vocab", "token id " + std::to_string(id) + " is used twice");
        seen[id] = true;
        if (text.size() > kMaxTokenBytes)
            fail(s, "vocab", "token " + std::to_string(id) + " is longer than " + std::to_string(kMaxTokenBytes) + " bytes");
        m_tokenText[id] = text;
        m_longestToken = std::max(m_longestToken, text.size());
        if (!text.empty())
            m_vocab.emplace(text, id);   // duplicate strings (seen in some GGUF files): the first id wins
    }
    m_special.assign(n, false);
    m_bytes.assign(n, {});
    std::vector<bool> isAdded(n, false);
    for (const auto& t : s.added) {
        if (isAdded[t.id])
            fail(s, "added_tokens", "token id " + std::to_string(t.id) + " is added twice");
        isAdded[t.id] = true;
        if (!seen[t.id])
            m_tokenText[t.id] = t.content;
        m_special[t.id] = t.special;
    }
    m_added.setTokens(s.added);

    for (auto id : s.prefixIds)
        if (id < 0 || size_t(id) >= n)
            fail(s, "post_processor", "template token id " + std::to_string(id) + " is not in the vocabulary");
    for (auto id : s.suffixIds)
        if (id < 0 || size_t(id) >= n)
            fail(s, "post_processor", "template token id " + std::to_string(id) + " is not in the vocabulary");
    if (s.bos >= int32_t(n) || s.eos >= int32_t(n))
        fail(s, "bos/eos", "special token id out of range");
    m_bos = s.bos;
    m_eos = s.eos;

    if (s.unkToken) {
        auto it = m_vocab.find(*s.unkToken);
        if (it == m_vocab.end())
            fail(s, "unk_token", "unknown token " + quotedValue(*s.unkToken) + " is not in the vocabulary");
        m_unk = it->second;
    } else if (s.model == TokenizerSpec::Model::WordPiece) {
        fail(s, "unk_token", "WordPiece needs an unknown token");
    }

    const bool spm = s.model == TokenizerSpec::Model::SentencePieceBpe;
    if (spm && (s.pieceScores.size() != n || s.pieceTypes.size() != n))
        fail(s, "scores", "SentencePiece needs a score and a type for each of the " + std::to_string(n)
                              + " token ids, got " + std::to_string(s.pieceScores.size()) + " scores and "
                              + std::to_string(s.pieceTypes.size()) + " types");

    // Raw bytes per id (what decoding yields) and byte tokens.
    m_byteIds.fill(-1);
    m_fallbackIds.fill(-1);
    for (size_t id = 0; id < n; ++id) {
        const std::string& t = m_tokenText[id];
        if (isAdded[id] && !seen[id]) {
            m_bytes[id] = t;
            continue;
        }
        if (spm && s.pieceTypes[id] == PieceType::Byte) {
            // SentencePiece knows byte pieces by their type; the spelling must then be exact.
            const int b = parseByteToken(t);
            if (b < 0)
                fail(s, "vocab", "byte token " + std::to_string(id) + " \"" + t
                                     + "\" must be spelled <0xNN> with exactly two hex digits");
            m_bytes[id] = std::string(1, char(b));
            if (m_fallbackIds[b] < 0)
                m_fallbackIds[b] = int32_t(id);
        } else if (s.model == TokenizerSpec::Model::WordPiece) {
            const auto& p = s.continuingSubwordPrefix;
            m_bytes[id] = (!p.empty() && t.size() > p.size() && t.compare(0, p.size(), p) == 0) ? t.substr(p.size()) : t;
        } else if (!spm && s.byteLevel && !isAdded[id]) {
            auto raw = unicodeToBytes(t);
            m_bytes[id] = raw ? *raw : t;
        } else if (!spm && t.size() >= 3 && t.compare(0, 3, "<0x") == 0 && !isAdded[id]) {
            const int b = parseByteToken(t);
            if (b < 0)
                fail(s, "vocab", "byte token " + quotedValue(t) + " must be <0xNN> with exactly two hex digits");
            m_bytes[id] = std::string(1, char(b));
            if (m_fallbackIds[b] < 0)
                m_fallbackIds[b] = int32_t(id);
        } else {
            // SentencePiece-style text: U+2581 stands for a space.
            std::string r;
            for (size_t i = 0; i < t.size();) {
                if (t.compare(i, 3, "\xE2\x96\x81") == 0) {
                    r += ' ';
                    i += 3;
                } else {
                    r += t[i++];
                }
            }
            m_bytes[id] = isAdded[id] ? t : r;
        }
    }
    if (s.model == TokenizerSpec::Model::Bpe && s.byteLevel)
        for (int b = 0; b < 256; ++b) {
            auto it = m_vocab.find(byteToUnicode(static_cast<unsigned char>(b)));
            if (it != m_vocab.end())
                m_byteIds[b] = it->second;
        }

    // Merges reference existing tokens, and so does their concatenation (tokenizers #2094, #2198).
    if (s.model == TokenizerSpec::Model::Bpe) {
        m_merges.reserve(s.merges.size());
        for (size_t rank = 0; rank < s.merges.size(); ++rank) {
            const auto& [a, b] = s.merges[rank];
            const std::string where = s.mergesField + "[" + std::to_string(rank) + "]";
            auto ia = m_vocab.find(a);
            auto ib = m_vocab.find(b);
            if (ia == m_vocab.end() || ib == m_vocab.end())
                fail(s, where, "merge " + quotedValue(a + " " + b) + " names a token that is not in the vocabulary");
            if (a.size() + b.size() > kMaxTokenBytes)
                fail(s, where, "merge result is longer than " + std::to_string(kMaxTokenBytes) + " bytes");
            auto im = m_vocab.find(a + b);
            if (im == m_vocab.end())
                fail(s, where, "merge result " + quotedValue(a + b) + " is not in the vocabulary");
            // HF builds its merge map by collecting in order, so a repeated pair keeps the later rank.
            m_merges[(uint64_t(uint32_t(ia->second)) << 32) | uint32_t(ib->second)] = {uint32_t(rank), im->second};
        }
    }

    m_display.assign(n, {});
    for (size_t id = 0; id < n; ++id) {
        if (m_special[id])
            m_display[id] = needsEscape(m_tokenText[id]) ? displayBytes(m_tokenText[id]) : m_tokenText[id];
        else if (s.model == TokenizerSpec::Model::WordPiece)
            m_display[id] = displayBytes(m_tokenText[id]);   // keep the "##" that marks a continuation
        else
            m_display[id] = displayBytes(m_bytes[id]);
    }

    m_normalizer = std::make_unique<Normalizer>(s.normalizer, s.source);
    m_preTokenizer = std::make_unique<PreTokenizer>(s.preTokenizer);
    if (spm)
        setUpSentencePiece();
}

std::string PipelineTokenizer::kind() const
{
    switch (m_spec.model) {
    case TokenizerSpec::Model::Bpe: return "bpe";
    case TokenizerSpec::Model::WordPiece: return "wordpiece";
    case TokenizerSpec::Model::SentencePieceBpe: return "sentencepiece-bpe";
    }
    return "bpe";
}

int32_t PipelineTokenizer::tokenId(const std::string& text) const
{
    auto it = m_vocab.find(text);
    if (it != m_vocab.end())
        return it->second;
    for (const auto& t : m_added.tokens())
        if (t.content == text)
            return t.id;
    return -1;
}

std::string PipelineTokenizer::tokenBytes(int32_t id) const
{
    if (id < 0 || size_t(id) >= m_bytes.size())
        throw Error(ErrorKind::Usage, m_spec.source, "id", -1, "token id " + std::to_string(id) + " out of range");
    return m_bytes[id];
}

std::string PipelineTokenizer::tokenDisplay(int32_t id) const
{
    if (id < 0 || size_t(id) >= m_display.size())
        throw Error(ErrorKind::Usage, m_spec.source, "id", -1, "token id " + std::to_string(id) + " out of range");
    return m_display[id];
}

void PipelineTokenizer::push(TokenizedText& out, int32_t id, uint32_t b, uint32_t e) const
{
    out.ids.push_back(id);
    out.display.push_back(m_display[id]);
    out.byteBegin.push_back(b);
    out.byteEnd.push_back(e);
}

void PipelineTokenizer::encodeSegment(const SpanText& seg, TokenizedText& out, EncodeBudget& budget) const
{
    std::vector<Piece> ids;
    for (const auto& piece : m_preTokenizer->apply(seg, budget)) {
        ids.clear();
        if (m_spec.model == TokenizerSpec::Model::Bpe)
            encodeBpe(piece, ids, budget);
        else if (m_spec.model == TokenizerSpec::Model::SentencePieceBpe)
            encodeSentencePiece(piece, ids, budget);
        else
            encodeWordPiece(piece, ids, budget);
        for (const auto& p : ids) {
            uint32_t b, e;
            piece.originalSpan(p.from, p.to, b, e);
            push(out, p.id, b, e);
        }
    }
}

TokenizedText PipelineTokenizer::encode(std::string_view text, bool addSpecial) const
{
    if (text.size() > 4 * kMaxInputChars || utf8::countChars(text) > kMaxInputChars)
        throw Error(ErrorKind::Tokenizer, m_spec.source, "input", -1,
                    "text is longer than the 1,000,000-character limit per request");
    if (!utf8::isValid(text))
        throw Error(ErrorKind::Tokenizer, m_spec.source, "input", -1, "text is not valid UTF-8");
    EncodeBudget budget(m_spec.source, text.size());
    TokenizedText out;
    if (addSpecial)
        for (auto id : m_spec.prefixIds)
            push(out, id, 0, 0);
    for (const auto& split : m_added.split(text, false, budget)) {
        if (split.id >= 0) {
            push(out, split.id, uint32_t(split.from), uint32_t(split.to));
            continue;
        }
        SpanText seg = SpanText::fromOriginal(text.substr(split.from, split.to - split.from), uint32_t(split.from));
        if (!m_normalizer->empty()) {
            seg = m_normalizer->apply(std::move(seg), budget);
            budget.spendNormalized(seg.text.size(), "Sequence");
        }
        for (const auto& inner : m_added.split(seg.text, true, budget)) {
            if (inner.id >= 0) {
                uint32_t b, e;
                seg.originalSpan(inner.from, inner.to, b, e);
                push(out, inner.id, b, e);
            } else {
                encodeSegment(seg.slice(inner.from, inner.to), out, budget);
            }
        }
    }
    if (addSpecial)
        for (auto id : m_spec.suffixIds)
            push(out, id, uint32_t(text.size()), uint32_t(text.size()));
    return out;
}

} // namespace attnscope
