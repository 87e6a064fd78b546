// HF tokenizer.json (+ tokenizer_config.json) -> TokenizerSpec. Supports the components real files need
// (HF tokenizers tokenizer.json) and refuses everything else by name, so a file we cannot reproduce never yields ids that
// silently differ from the reference tokenizer.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/json_strict.h"
#include "core/tokenizer/pipeline_tokenizer.h"
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <nlohmann/json.hpp>

namespace attnscope {
namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& file, const std::string& field, const std::string& reason,
                       ErrorKind kind = ErrorKind::Tokenizer)
{
    throw Error(kind, file, field, -1, reason);
}

// The strict parser builds the DOM in one linear pass (duplicate keys refused, nesting capped, UTF-8
// checked); the size cap comes first so an oversized file is refused before any of it is parsed.
Json parseJson(std::string_view text, const std::string& file)
{
    if (text.size() > kMaxTokenizerJsonBytes)
        fail(file, "json", "file of " + std::to_string(text.size()) + " bytes exceeds the cap of " +
                               std::to_string(kMaxTokenizerJsonBytes >> 20) + " MiB for tokenizer files");
    return parseJsonStrict(text, file, "json", 0, kMaxJsonDepth, ErrorKind::Tokenizer);
}

const Json* member(const Json& j, const char* key)
{
    if (!j.is_object())
        return nullptr;
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

bool getBool(const Json& j, const char* key, bool def, const std::string& file, const std::string& where)
{
    const Json* v = member(j, key);
    if (!v)
        return def;
    if (!v->is_boolean())
        fail(file, where + "." + key, "expected true or false");
    return v->get<bool>();
}

std::string getString(const Json& j, const char* key, const std::string& file, const std::string& where)
{
    const Json* v = member(j, key);
    if (!v || !v->is_string())
        fail(file, where + "." + key, "expected a string");
    return v->get<std::string>();
}

bool isTokenId(const Json& v)
{
    return v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() < int64_t(kMaxVocab);
}

int32_t getId(const Json& v, const std::string& file, const std::string& where)
{
    if (!isTokenId(v))
        fail(file, where, "expected a token id in [0, 2^24)");
    return int32_t(v.get<int64_t>());
}

// A string the pipeline inserts or searches for (Replace pattern and content, Prepend): bounded like a token,
// so one normalizer step cannot turn "hello world" into megabytes.
std::string getPipelineString(const Json& j, const char* key, const std::string& file, const std::string& where)
{
    std::string v = getString(j, key, file, where);
    if (v.size() > kMaxTokenBytes)
        fail(file, where + "." + key, "string of " + std::to_string(v.size()) + " bytes exceeds the cap of " +
                                          std::to_string(kMaxTokenBytes) + " bytes for normalizer strings");
    return v;
}

// A Sequence's list, refused before any of it is parsed when it alone is over the step cap.
const Json& sequenceList(const Json& j, const char* key, const char* stage, const std::string& file,
                         const std::string& where)
{
    const Json* list = member(j, key);
    if (!list || !list->is_array())
        fail(file, where + "." + key, "expected an array");
    if (list->size() > kMaxPipelineSteps)
        fail(file, where + "." + key, std::string("a ") + stage + " sequence of " + std::to_string(list->size()) +
                                          " steps exceeds the cap of " + std::to_string(kMaxPipelineSteps) + " steps");
    return *list;
}

void checkStepCount(size_t steps, const char* stage, const std::string& file, const std::string& where)
{
    if (steps > kMaxPipelineSteps)
        fail(file, where, std::string("the ") + stage + " has more than " + std::to_string(kMaxPipelineSteps) +
                              " steps in all (the cap)");
}

void checkNesting(int depth, const char* stage, const std::string& file, const std::string& where)
{
    if (depth > kMaxPipelineNesting)
        fail(file, where, std::string(stage) + " sequences nested deeper than " + std::to_string(kMaxPipelineNesting) +
                              " levels (the cap)");
}

SplitBehavior parseBehavior(const Json& j, const std::string& file, const std::string& where)
{
    const std::string b = getString(j, "behavior", file, where);
    if (b == "Removed") return SplitBehavior::Removed;
    if (b == "Isolated") return SplitBehavior::Isolated;
    if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (b == "Contiguous") return SplitBehavior::Contiguous;
    fail(file, where + ".behavior", "unknown split behaviour " + quotedValue(b));
}

std::string patternOf(const Json& j, const std::string& file, const std::string& where, bool& isRegex)
{
    const Json* p = member(j, "pattern");
    if (p && p->is_object()) {
        const Json* s = member(*p, "String");
        const Json* r = member(*p, "Regex");
        if ((s && s->is_string()) || (r && r->is_string())) {
            isRegex = !(s && s->is_string());
            std::string pattern = isRegex ? r->get<std::string>() : s->get<std::string>();
            if (pattern.size() > kMaxPatternBytes)
                fail(file, where + ".pattern", "pattern of " + std::to_string(pattern.size()) +
                                                   " bytes exceeds the cap of " + std::to_string(kMaxPatternBytes) +
                                                   " bytes");
            return pattern;
        }
    }
    fail(file, where + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
}

void parseNormalizer(const Json& j, TokenizerSpec& spec, const std::string& where, int depth)
{
    const std::string& file = spec.source;
    checkNesting(depth, "normalizer", file, where);
    const std::string type = getString(j, "type", file, where);
    NormalizerStep step;
    if (type == "Sequence") {
        const Json& list = sequenceList(j, "normalizers", "normalizer", file, where);
        for (size_t i = 0; i < list.size(); ++i)
            parseNormalizer(list[i], spec, where + ".normalizers[" + std::to_string(i) + "]", depth + 1);
        return;
    } else if (type == "NFC") {
        step.kind = NormalizerStep::Kind::Nfc;
    } else if (type == "Lowercase") {
        step.kind = NormalizerStep::Kind::Lowercase;
    } else if (type == "BertNormalizer") {
        step.kind = NormalizerStep::Kind::Bert;
        step.cleanText = getBool(j, "clean_text", true, file, where);
        step.handleChineseChars = getBool(j, "handle_chinese_chars", true, file, where);
        step.lowercase = getBool(j, "lowercase", true, file, where);
        // strip_accents null means "follow lowercase" (HF BertNormalizer).
        step.stripAccents = getBool(j, "strip_accents", step.lowercase, file, where);
    } else if (type == "Replace") {
        step.kind = NormalizerStep::Kind::Replace;
        bool isRegex = false;
        step.pattern = patternOf(j, file, where, isRegex);
        if (isRegex)
            fail(file, where + ".pattern", "Replace with a regex pattern is not supported", ErrorKind::Unsupported);
        if (step.pattern.size() > kMaxTokenBytes)
            fail(file, where + ".pattern", "pattern of " + std::to_string(step.pattern.size()) +
                                               " bytes exceeds the cap of " + std::to_string(kMaxTokenBytes) +
                                               " bytes for normalizer strings");
        step.content = getPipelineString(j, "content", file, where);
    } else if (type == "Prepend") {
        step.kind = NormalizerStep::Kind::Prepend;
        step.content = getPipelineString(j, "prepend", file, where);
    } else {
        fail(file, where + ".type", "normalizer " + quotedValue(type) + " is not supported", ErrorKind::Unsupported);
    }
    spec.normalizer.push_back(step);
    checkStepCount(spec.normalizer.size(), "normalizer", file, where);
}

void parsePreTokenizer(const Json& j, TokenizerSpec& spec, const std::string& where, int depth, bool& byteLevel)
{
    const std::string& file = spec.source;
    checkNesting(depth, "pre-tokenizer", file, where);
    const std::string type = getString(j, "type", file, where);
    auto& out = spec.preTokenizer;
    if (type == "Sequence") {
        const Json& list = sequenceList(j, "pretokenizers", "pre-tokenizer", file, where);
        for (size_t i = 0; i < list.size(); ++i)
            parsePreTokenizer(list[i], spec, where + ".pretokenizers[" + std::to_string(i) + "]", depth + 1,
                              byteLevel);
        return;
    } else if (type == "Split") {
        bool isRegex = false;
        std::string pattern = patternOf(j, file, where, isRegex);
        if (!isRegex)
            pattern = Regex::escape(pattern);
        out.push_back(PreTokenizer::split(std::make_shared<Regex>(pattern, file + ": " + where + ".pattern"),
                                          parseBehavior(j, file, where), getBool(j, "invert", false, file, where)));
    } else if (type == "ByteLevel") {
        byteLevel = true;
        out.push_back(PreTokenizer::byteLevel(getBool(j, "add_prefix_space", true, file, where),
                                              getBool(j, "use_regex", true, file, where), file));
    } else if (type == "Digits") {
        out.push_back(PreTokenizer::digits(getBool(j, "individual_digits", false, file, where), file));
    } else if (type == "BertPreTokenizer") {
        for (auto& s : PreTokenizer::bert(file))
            out.push_back(std::move(s));
    } else if (type == "Whitespace") {
        out.push_back(PreTokenizer::whitespace(file));
    } else if (type == "WhitespaceSplit") {
        out.push_back(PreTokenizer::whitespaceSplit(file));
    } else if (type == "Punctuation") {
        out.push_back(PreTokenizer::punctuation(parseBehavior(j, file, where), file));
    } else {
        fail(file, where + ".type", "pre-tokenizer " + quotedValue(type) + " is not supported", ErrorKind::Unsupported);
    }
    checkStepCount(out.size(), "pre-tokenizer", file, where);
}

// Resolves a template token name through the processor's special_tokens table, or the vocabulary.
std::vector<int32_t> templateIds(const Json& proc, const std::string& name, const TokenizerSpec& spec,
                                 const std::string& where)
{
    if (const Json* table = member(proc, "special_tokens")) {
        if (const Json* entry = member(*table, name.c_str())) {
            const Json* ids = member(*entry, "ids");
            if (!ids || !ids->is_array() || ids->empty() || ids->size() > 16)
                fail(spec.source, where, "special token " + quotedValue(name) + " has no ids (or more than 16)");
            std::vector<int32_t> out;
            for (const auto& v : *ids)
                out.push_back(getId(v, spec.source, where));
            return out;
        }
    }
    fail(spec.source, where, "template token " + quotedValue(name) + " is not defined in special_tokens");
}

void checkTemplateSize(const TokenizerSpec& spec, const std::string& where)
{
    if (spec.prefixIds.size() + spec.suffixIds.size() > kMaxTemplateTokens)
        fail(spec.source, where, "the template adds more than " + std::to_string(kMaxTemplateTokens) +
                                     " special tokens to every text (the cap)");
}

void parsePostProcessor(const Json& j, TokenizerSpec& spec, const std::string& where, int depth, size_t& steps)
{
    const std::string& file = spec.source;
    checkNesting(depth, "post-processor", file, where);
    const std::string type = getString(j, "type", file, where);
    if (type == "Sequence") {
        const Json& list = sequenceList(j, "processors", "post-processor", file, where);
        for (size_t i = 0; i < list.size(); ++i)
            parsePostProcessor(list[i], spec, where + ".processors[" + std::to_string(i) + "]", depth + 1, steps);
        return;
    }
    checkStepCount(++steps, "post-processor", file, where);
    if (type == "ByteLevel") {
        // Only adjusts offsets (trim_offsets); we report the untrimmed byte span of every token.
    } else if (type == "TemplateProcessing") {
        const Json* single = member(j, "single");
        if (!single || !single->is_array())
            fail(file, where + ".single", "expected an array");
        bool seenSequence = false;
        for (const auto& item : *single) {
            if (const Json* st = member(item, "SpecialToken")) {
                const auto ids = templateIds(j, getString(*st, "id", file, where + ".single"), spec, where);
                auto& dst = seenSequence ? spec.suffixIds : spec.prefixIds;
                dst.insert(dst.end(), ids.begin(), ids.end());
                checkTemplateSize(spec, where);
            } else if (member(item, "Sequence")) {
                seenSequence = true;
            } else {
                fail(file, where + ".single", "unknown template item");
            }
        }
    } else if (type == "BertProcessing" || type == "RobertaProcessing") {
        const Json* cls = member(j, "cls");
        const Json* sep = member(j, "sep");
        if (!cls || !sep || !cls->is_array() || !sep->is_array() || cls->size() != 2 || sep->size() != 2)
            fail(file, where, "cls and sep must be [token, id] pairs");
        spec.prefixIds.push_back(getId((*cls)[1], file, where + ".cls"));
        spec.suffixIds.push_back(getId((*sep)[1], file, where + ".sep"));
    } else {
        fail(file, where + ".type", "post-processor " + quotedValue(type) + " is not supported", ErrorKind::Unsupported);
    }
    checkTemplateSize(spec, where);
}

void parseModel(const Json& m, TokenizerSpec& spec)
{
    const std::string& file = spec.source;
    if (!m.is_object())
        fail(file, "model", "expected an object");
    std::string type;
    if (const Json* t = member(m, "type"); t && t->is_string())
        type = t->get<std::string>();
    else
        type = member(m, "merges") ? "BPE" : "WordPiece";
    const Json* vocab = member(m, "vocab");
    if (!vocab || !vocab->is_object())
        fail(file, "model.vocab", "expected an object of token -> id");
    if (vocab->size() > kMaxVocab)
        fail(file, "model.vocab", "more than 2^24 tokens");
    spec.vocab.reserve(vocab->size());
    for (auto it = vocab->begin(); it != vocab->end(); ++it) {
        if (!isTokenId(it.value()))   // the field name is built only on failure: vocabularies have 10^5..10^6 entries
            fail(file, "model.vocab[" + quotedValue(it.key()) + "]", "expected a token id in [0, 2^24)");
        spec.vocab.emplace_back(it.key(), int32_t(it.value().get<int64_t>()));
    }
    if (const Json* unk = member(m, "unk_token")) {
        if (!unk->is_string())
            fail(file, "model.unk_token", "expected a string");
        spec.unkToken = unk->get<std::string>();
    }
    if (type == "BPE") {
        spec.model = TokenizerSpec::Model::Bpe;
        spec.mergesField = "model.merges";
        if (const Json* d = member(m, "dropout"); d && d->is_number() && d->get<double>() > 0)
            fail(file, "model.dropout", "BPE dropout is random and not supported", ErrorKind::Unsupported);
        for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
            if (const Json* v = member(m, key); v && v->is_string() && !v->get<std::string>().empty())
                fail(file, std::string("model.") + key, "not supported for BPE", ErrorKind::Unsupported);
        spec.ignoreMerges = getBool(m, "ignore_merges", false, file, "model");
        spec.byteFallback = getBool(m, "byte_fallback", false, file, "model");
        const Json* merges = member(m, "merges");
        if (!merges || !merges->is_array())
            fail(file, "model.merges", "expected an array");
        spec.merges.reserve(merges->size());
        auto where = [](size_t i) { return "model.merges[" + std::to_string(i) + "]"; };
        for (size_t i = 0; i < merges->size(); ++i) {
            const Json& e = (*merges)[i];
            if (e.is_string()) {
                const std::string& s = e.get_ref<const std::string&>();
                const size_t sp = s.find(' ');
                if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size() || s.find(' ', sp + 1) != std::string::npos)
                    fail(file, where(i), "merge " + quotedValue(s) + " is not two tokens separated by one space");
                spec.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
            } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
                spec.merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
            } else {
                fail(file, where(i), "a merge must be \"a b\" or [\"a\", \"b\"]");
            }
        }
    } else if (type == "WordPiece") {
        spec.model = TokenizerSpec::Model::WordPiece;
        if (const Json* p = member(m, "continuing_subword_prefix")) {
            if (!p->is_string())
                fail(file, "model.continuing_subword_prefix", "expected a string");
            spec.continuingSubwordPrefix = p->get<std::string>();
        }
        if (const Json* mx = member(m, "max_input_chars_per_word")) {
            if (!mx->is_number_unsigned() || mx->get<uint64_t>() == 0 || mx->get<uint64_t>() > kMaxInputChars)
                fail(file, "model.max_input_chars_per_word", "expected a positive integer");
            spec.maxInputCharsPerWord = size_t(mx->get<uint64_t>());
        }
    } else {
        fail(file, "model.type", "tokenizer model " + quotedValue(type) + " is not supported", ErrorKind::Unsupported);
    }
}

// tokenizer_config.json next to the tokenizer.json named in messages.
std::string configFileName(const std::string& tokenizerFile)
{
    const size_t slash = tokenizerFile.rfind('/');
    return (slash == std::string::npos ? std::string() : tokenizerFile.substr(0, slash + 1)) + "tokenizer_config.json";
}

// bos/eos names from tokenizer_config.json: a string or {"content": ...}.
std::string configTokenName(const Json& cfg, const char* key)
{
    const Json* v = member(cfg, key);
    if (v && v->is_string())
        return v->get<std::string>();
    if (v && v->is_object())
        if (const Json* c = member(*v, "content"); c && c->is_string())
            return c->get<std::string>();
    return {};
}

} // namespace

std::unique_ptr<Tokenizer> makeTokenizerFromHfJson(std::string_view tokenizerJson, std::string_view tokenizerConfigJson,
                                                   const std::string& fileName)
{
    TokenizerSpec spec;
    spec.source = fileName;
    const Json j = parseJson(tokenizerJson, fileName);
    if (!j.is_object())
        fail(fileName, "json", "expected an object at the top level");
    const Json* model = member(j, "model");
    if (!model)
        fail(fileName, "model", "missing");
    parseModel(*model, spec);

    if (const Json* added = member(j, "added_tokens")) {
        if (!added->is_array())
            fail(fileName, "added_tokens", "expected an array");
        for (size_t i = 0; i < added->size(); ++i) {
            const Json& a = (*added)[i];
            const std::string where = "added_tokens[" + std::to_string(i) + "]";
            const Json* id = member(a, "id");
            if (!id)
                fail(fileName, where + ".id", "missing");
            AddedToken t;
            t.id = getId(*id, fileName, where + ".id");
            t.content = getString(a, "content", fileName, where);
            t.special = getBool(a, "special", false, fileName, where);
            t.lstrip = getBool(a, "lstrip", false, fileName, where);
            t.rstrip = getBool(a, "rstrip", false, fileName, where);
            t.singleWord = getBool(a, "single_word", false, fileName, where);
            t.normalized = getBool(a, "normalized", !t.special, fileName, where);
            spec.added.push_back(std::move(t));
        }
    }
    bool byteLevel = false;
    if (const Json* n = member(j, "normalizer"))
        parseNormalizer(*n, spec, "normalizer", 0);
    if (const Json* p = member(j, "pre_tokenizer"))
        parsePreTokenizer(*p, spec, "pre_tokenizer", 0, byteLevel);
    if (const Json* d = member(j, "decoder"); d && member(*d, "type") && (*d)["type"] == "ByteLevel")
        byteLevel = true;
    spec.byteLevel = byteLevel;
    if (const Json* pp = member(j, "post_processor")) {
        size_t steps = 0;
        parsePostProcessor(*pp, spec, "post_processor", 0, steps);
    }

    // BOS/EOS for the front ends: tokenizer_config.json names them; BERT-style files use CLS/SEP.
    Json cfg;
    if (!tokenizerConfigJson.empty())
        cfg = parseJson(tokenizerConfigJson, configFileName(fileName));
    auto idOf = [&](const std::string& name) -> int32_t {
        if (name.empty())
            return -1;
        for (const auto& t : spec.added)
            if (t.content == name)
                return t.id;
        for (const auto& [text, id] : spec.vocab)
            if (text == name)
                return id;
        return -1;
    };
    spec.bos = idOf(configTokenName(cfg, "bos_token"));
    if (spec.bos < 0)
        spec.bos = idOf(configTokenName(cfg, "cls_token"));
    spec.eos = idOf(configTokenName(cfg, "eos_token"));
    if (spec.eos < 0)
        spec.eos = idOf(configTokenName(cfg, "sep_token"));
    return std::make_unique<PipelineTokenizer>(std::move(spec));
}

} // namespace attnscope
