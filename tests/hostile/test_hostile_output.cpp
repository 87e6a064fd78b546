// What attnscope prints about a hostile file (issue 8, classes 5–7): `info --json` is always valid JSON with
// invalid bytes escaped and flagged, and error text quoting file content is escaped and bounded.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/gguf_reader.h"
#include "core/formats/safetensors_reader.h"
#include "core/session/model_info.h"
#include "core/util/error.h"
#include "core/util/json_output.h"
#include "core/util/text_escape.h"
#include "support/gguf_writer.h"
#include "support/safetensors_writer.h"

#include <functional>
#include <gtest/gtest.h>

using namespace attnscope;
using namespace attnscope::test;

namespace {

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(HostileOutput, InfoJsonOnNonUtf8MetadataIsValidAndFlagged)
{
    GgufBuilder g;
    g.str("general.architecture", "ll\xFF" "ama").str("general.name", std::string("na\xC0\xAFme\x1b[2J"));
    auto ck = readGguf(MappedFile::fromBytes("bad\xFEname.gguf", g.build()));
    const ModelInfo info = describeCheckpoint(*ck);
    EXPECT_FALSE(info.runnable);
    const nlohmann::json j = toJson(info);
    std::string text;
    ASSERT_NO_THROW(text = j.dump(2));
    const auto back = nlohmann::json::parse(text);   // valid JSON, valid UTF-8
    EXPECT_EQ(back["name"], "na\\xC0\\xAFme\x1b[2J");   // the escape character survives as JSON's \u001b
    EXPECT_EQ(back["architecture"], "ll\\xFFama");
    EXPECT_EQ(back["path"], "bad\\xFEname.gguf");
    const auto flagged = back["escaped_fields"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(flagged.begin(), flagged.end(), "/name"), flagged.end());
    EXPECT_NE(std::find(flagged.begin(), flagged.end(), "/architecture"), flagged.end());
    EXPECT_NE(std::find(flagged.begin(), flagged.end(), "/path"), flagged.end());
    EXPECT_NE(text.find("\\u001b[2J"), std::string::npos);
    // The reason it cannot run names the field and is already printable.
    EXPECT_FALSE(needsEscape(back["not_runnable_reason"].get<std::string>()));
}

TEST(HostileOutput, JsonKeysAreEscapedToo)
{
    nlohmann::json j = {{"ok", "fine"}, {"k\xFF", {"v\xFE", "w"}}, {"a/b~", "\xE6\x97"}};
    const auto changed = makeJsonPrintable(j);
    EXPECT_EQ(changed, (std::vector<std::string>{"/a~1b~0", "/k\\xFF", "/k\\xFF/0"}));
    EXPECT_NO_THROW(j.dump());
    EXPECT_EQ(j["k\\xFF"][0], "v\\xFE");
    EXPECT_EQ(j["a/b~"], "\\xE6\\x97");
}

TEST(HostileOutput, JsonForTerminalsEscapesC1AndBidiControlsAsTheSameValue)
{
    const nlohmann::json j = {{"t", "a\x7f" "b\xC2\x9B" "c\xE2\x80\xAE" "d\x1b" "日本"}};
    const std::string text = dumpForTerminal(j, 2);
    EXPECT_EQ(text, "{\n  \"t\": \"a\\u007fb\\u009bc\\u202ed\\u001b日本\"\n}");
    EXPECT_EQ(nlohmann::json::parse(text), j);
    std::string withoutLines = text;
    std::erase(withoutLines, '\n');   // indentation is the only control character left
    EXPECT_FALSE(needsEscape(withoutLines));
}

TEST(HostileOutput, LongNamesInErrorsAreShortened)
{
    // A 100,000-byte tensor name with an unknown dtype, and a 100,000-byte shard name.
    const std::string longName(100000, 'n');
    SafetensorsBuilder b;
    b.tensor(longName, "Q9", {1}, {0});
    std::string msg = errorOf([&] { readSafetensors(MappedFile::fromBytes("m.safetensors", b.build())); });
    EXPECT_LT(msg.size(), 800u) << msg.size();
    EXPECT_NE(msg.find("…' (100000 bytes)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unknown dtype 'Q9'"), std::string::npos) << msg;

    GgufBuilder g;
    g.str("general.architecture", std::string(100000, 'a') + "\x1b]0;title\x07");
    auto ck = readGguf(MappedFile::fromBytes("arch.gguf", g.build()));
    const ModelInfo info = describeCheckpoint(*ck);
    EXPECT_FALSE(info.runnable);
    EXPECT_LT(info.notRunnableReason.size(), kMaxErrorReasonBytes + kMaxErrorFieldBytes + 200);
    EXPECT_FALSE(needsEscape(info.notRunnableReason));
}
