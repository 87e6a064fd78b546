// PyTorch pickles are refused by extension and by content, before anything is parsed (docs/FORMATS.md).
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/util/error.h"
#include "support/safetensors_writer.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

using namespace attnscope;
using namespace attnscope::test;

namespace {

void expectRefusal(const std::string& path, const std::string& extra = "")
{
    try {
        openCheckpoint(path);
        ADD_FAILURE() << path << " was opened";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
        const std::string m = e.what();
        EXPECT_NE(m.find("never loaded (pickle can execute code)"), std::string::npos) << m;
        EXPECT_NE(m.find("save_pretrained('OUT', safe_serialization=True)"), std::string::npos) << m;
        if (!extra.empty()) {
            EXPECT_NE(m.find(extra), std::string::npos) << m;
        }
    }
}

} // namespace

TEST(PickleRefusal, ByExtensionWhateverTheContent)
{
    TempDir dir;
    // Even a valid safetensors payload is refused under a pickle extension: the name decides first.
    SafetensorsBuilder b;
    b.tensor("a", "F32", {1}, {0, 0, 0, 0});
    for (const char* name : {"pytorch_model.bin", "model.pt", "weights.PTH", "last.ckpt", "pytorch_model.bin.index.json"})
        expectRefusal(dir.write(name, b.build()));
}

TEST(PickleRefusal, ByContent)
{
    TempDir dir;
    expectRefusal(dir.write("archive.model", std::vector<uint8_t>{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}));
    expectRefusal(dir.write("legacy.weights", std::vector<uint8_t>{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c}));
}

TEST(PickleRefusal, FolderWithOnlyPickleWeights)
{
    TempDir dir;
    dir.write("config.json", std::string(R"({"model_type": "bert"})"));
    dir.write("pytorch_model.bin", std::vector<uint8_t>{'P', 'K', 3, 4});
    expectRefusal(dir.path().string(), "pytorch_model.bin");
}

TEST(OpenCheckpoint, MissingAndUnrecognisedPaths)
{
    TempDir dir;
    try {
        openCheckpoint((dir.path() / "nope.gguf").string());
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Io);
    }
    try {
        openCheckpoint(dir.write("notes.txt", std::string("hello, world")));
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Format);
        EXPECT_NE(e.reason().find("unrecognised file type"), std::string::npos);
    }
    try {
        openCheckpoint(dir.path().string()); // empty folder
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(e.reason().find("no model.safetensors"), std::string::npos);
    }
}

TEST(OpenCheckpoint, SafetensorsBySniffingWithoutExtension)
{
    TempDir dir;
    SafetensorsBuilder b;
    b.tensor("a", "F32", {1}, {0, 0, 0x80, 0x3F});
    auto ck = openCheckpoint(dir.write("weights", b.build()));
    EXPECT_EQ(ck->format, CheckpointFormat::Safetensors);
    ASSERT_NE(ck->find("a"), nullptr);
}
