// Display escaping of file-derived text (terminal escape injection, bidirectional tricks, invalid UTF-8) and the
// bounds on quoted values and error messages.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/error.h"
#include "core/util/text_escape.h"

#include <gtest/gtest.h>

using namespace attnscope;

TEST(TextEscape, ControlCharactersBecomeVisible)
{
    EXPECT_EQ(escapeControl("plain ünïcode 日本"), "plain ünïcode 日本");
    EXPECT_EQ(escapeControl("a\x1b]0;pwned\x07z"), "a\\x1b]0;pwned\\x07z");   // OSC title change
    EXPECT_EQ(escapeControl("\x1b[2J"), "\\x1b[2J");                          // clear screen
    EXPECT_EQ(escapeControl("l1\nl2\tx\r"), "l1\\nl2\\tx\\r");
    EXPECT_EQ(escapeControl(std::string("nul\0end", 7)), "nul\\x00end");
    EXPECT_EQ(escapeControl("del\x7f"), "del\\x7f");
    EXPECT_EQ(escapeControl("csi\xC2\x9B" "31m"), "csi\\u{009B}31m");        // C1 CSI encoded as UTF-8
    EXPECT_EQ(escapeControl("abc\xE2\x80\xAE" "fed"), "abc\\u{202E}fed");     // right-to-left override
    EXPECT_EQ(escapeControl("\xE2\x81\xA6x\xE2\x81\xA9"), "\\u{2066}x\\u{2069}");
    EXPECT_EQ(escapeControl("bad\xFF\xC0\x80"), "bad\\xff\\xc0\\x80");         // invalid byte, overlong NUL
    EXPECT_EQ(escapeControl("cut\xE6\x97"), "cut\\xe6\\x97");                  // truncated sequence
    EXPECT_EQ(escapeControl("\xED\xA0\x80"), "\\xed\\xa0\\x80");               // UTF-16 surrogate
}

TEST(TextEscape, EscapingIsIdempotentAndLeavesNothingToEscape)
{
    const std::string nasty = std::string("\x1b[31m\xC2\x9B\xE2\x80\xAE\xFF\n\0", 12) + "tail\\x41";
    const std::string once = escapeControl(nasty);
    EXPECT_FALSE(needsEscape(once));
    EXPECT_EQ(escapeControl(once), once);
    EXPECT_TRUE(needsEscape(nasty));
    EXPECT_FALSE(needsEscape("ordinary text, ünïcode"));
}

TEST(TextEscape, QuotedValuesAreBounded)
{
    EXPECT_EQ(quotedValue("llama"), "'llama'");
    const std::string huge(100000, 'x');
    const std::string q = quotedValue(huge);
    EXPECT_LT(q.size(), kMaxQuotedBytes + 40);
    EXPECT_NE(q.find("…' (100000 bytes)"), std::string::npos) << q;
    // The cut never splits a character.
    std::string cjk;
    for (int i = 0; i < 100; ++i)
        cjk += "日";
    const std::string c = quotedValue(cjk, 10);
    EXPECT_EQ(c, "'日日日…' (300 bytes)");
    EXPECT_EQ(shortened(huge, 8), "xxxxxxxx… (100000 bytes)");
}

TEST(TextEscape, ElisionKeepsHeadAndTail)
{
    const std::string msg = "unsupported architecture '" + std::string(100000, 'a') + "' (supported: llama)";
    const std::string e = elideMiddle(msg, 200);
    EXPECT_LT(e.size(), 260u);
    EXPECT_EQ(e.rfind("unsupported architecture 'aaa", 0), 0u) << e;
    EXPECT_NE(e.find("(supported: llama)"), std::string::npos) << e;
    EXPECT_NE(e.find("bytes in all"), std::string::npos) << e;
}

TEST(TextEscape, ErrorsAreEscapedAndBoundedWhateverTheCallerPassed)
{
    const Error e(ErrorKind::Format, "model.gguf", std::string("key\x1b[2J") + std::string(5000, 'k'), 12,
                  "unknown architecture '" + std::string(100000, 'a') + "\x1b]0;x\x07'");
    const std::string what = e.what();
    EXPECT_EQ(what.find('\x1b'), std::string::npos);
    EXPECT_EQ(what.find('\x07'), std::string::npos);
    EXPECT_LT(what.size(), kMaxErrorFieldBytes + kMaxErrorReasonBytes + 200);
    EXPECT_NE(what.find("key\\x1b[2J"), std::string::npos);
    EXPECT_NE(what.find("(100029 bytes in all)"), std::string::npos) << what;
    EXPECT_NE(what.find("(at byte 12)"), std::string::npos);
    EXPECT_FALSE(needsEscape(e.field()));
    EXPECT_FALSE(needsEscape(e.reason()));
    // Ordinary messages pass unchanged.
    const Error plain(ErrorKind::Format, "a.safetensors", "header", 8, "duplicate key \"a\"");
    EXPECT_STREQ(plain.what(), "a.safetensors: header: duplicate key \"a\" (at byte 8)");
}
