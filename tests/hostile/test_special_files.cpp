// Special files (issue 8, class 4): only regular files are opened. A named pipe as the model, a shard or a
// folder's config.json is refused without blocking (a block would show up as this test's ctest TIMEOUT);
// devices and kernel pseudo files are refused by what they are; symbolic links to regular files work, and a
// Hugging Face cache snapshot — a folder of links into ../../blobs/ — opens and reports where its files are.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/checkpoint.h"
#include "core/formats/hf_folder.h"
#include "core/formats/safetensors_reader.h"
#include "core/model/loaded_model.h"
#include "core/session/model_info.h"
#include "core/util/error.h"
#include "support/temp_dir.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace attnscope;
using namespace attnscope::test;
namespace fs = std::filesystem;

namespace {

std::string errorOf(const std::function<void()>& f, ErrorKind* kind = nullptr)
{
    try {
        f();
    } catch (const Error& e) {
        if (kind)
            *kind = e.kind();
        return e.what();
    }
    return "";
}

void makeFifo(const fs::path& p)
{
    ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0) << p;
}

const fs::path kTiny = fs::path(ATTNSCOPE_TEST_FIXTURES) / "tiny";

void copyFolder(const fs::path& from, const fs::path& to)
{
    fs::create_directories(to);
    for (const auto& e : fs::directory_iterator(from))
        fs::copy_file(e.path(), to / e.path().filename());
}

} // namespace

TEST(SpecialFiles, NamedPipeAsModelIsRefusedWithoutBlocking)
{
    TempDir dir;
    for (const char* name : {"model.gguf", "model.safetensors", "model", "model.safetensors.index.json"}) {
        const fs::path p = dir.path() / name;
        makeFifo(p);
        ErrorKind kind{};
        const std::string msg = errorOf([&] { openCheckpoint(p.string()); }, &kind);
        EXPECT_EQ(kind, ErrorKind::Io) << name;
        EXPECT_NE(msg.find("is a named pipe (FIFO), not a regular file"), std::string::npos) << msg;
    }
}

TEST(SpecialFiles, NamedPipeAsShardConfigOrTokenizerIsRefusedWithoutBlocking)
{
    TempDir dir;
    copyFolder(kTiny / "tiny-qwen3", dir.path() / "sharded");
    fs::remove(dir.path() / "sharded" / "model-00003-of-00004.safetensors");
    makeFifo(dir.path() / "sharded" / "model-00003-of-00004.safetensors");
    std::string msg = errorOf([&] { openCheckpoint((dir.path() / "sharded").string()); });
    EXPECT_NE(msg.find("model-00003-of-00004.safetensors: is a named pipe"), std::string::npos) << msg;

    for (const char* name : {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
        const fs::path folder = dir.path() / (std::string("folder-") + name);
        copyFolder(kTiny / "tiny-llama", folder);
        fs::remove(folder / name);
        makeFifo(folder / name);
        msg = errorOf([&] { openCheckpoint(folder.string()); });
        EXPECT_NE(msg.find(std::string(name) + ": is a named pipe"), std::string::npos) << msg;
    }
}

TEST(SpecialFiles, DevicesAndKernelFilesAreRefusedByWhatTheyAre)
{
    std::string msg = errorOf([&] { openCheckpoint("/dev/zero"); });
    EXPECT_NE(msg.find("/dev/zero: is a character device"), std::string::npos) << msg;
    msg = errorOf([&] { openCheckpoint("/dev/null"); });
    EXPECT_NE(msg.find("is a character device"), std::string::npos) << msg;
    msg = errorOf([&] { openCheckpoint("/proc/self/status"); });
    EXPECT_NE(msg.find("is on the kernel's proc file system"), std::string::npos) << msg;
    msg = errorOf([&] { MappedFile::open("/proc/self/environ"); });
    EXPECT_NE(msg.find("proc file system"), std::string::npos) << msg;
    if (fs::exists("/sys/kernel/mm/transparent_hugepage/enabled")) {
        msg = errorOf([&] { openCheckpoint("/sys/kernel/mm/transparent_hugepage/enabled"); });
        EXPECT_NE(msg.find("sysfs file system"), std::string::npos) << msg;
    }
    // Through a symbolic link with an innocent name, and as a shard of an index.
    TempDir dir;
    fs::create_symlink("/dev/zero", dir.path() / "model.gguf");
    msg = errorOf([&] { openCheckpoint((dir.path() / "model.gguf").string()); });
    EXPECT_NE(msg.find("is a character device"), std::string::npos) << msg;
    dir.write("model.safetensors.index.json", R"({"weight_map": {"w": "zero.safetensors"}})");
    fs::create_symlink("/dev/zero", dir.path() / "zero.safetensors");
    msg = errorOf([&] { openCheckpoint((dir.path() / "model.safetensors.index.json").string()); });
    EXPECT_NE(msg.find("zero.safetensors: is a character device"), std::string::npos) << msg;
}

TEST(SpecialFiles, DanglingLinkAndFolderAreNamed)
{
    TempDir dir;
    copyFolder(kTiny / "tiny-llama", dir.path() / "m");
    fs::remove(dir.path() / "m" / "config.json");
    fs::create_symlink("../../nowhere/config.json", dir.path() / "m" / "config.json");
    std::string msg = errorOf([&] { openCheckpoint((dir.path() / "m").string()); });
    EXPECT_NE(msg.find("config.json: cannot open: No such file or directory"), std::string::npos) << msg;
    fs::remove(dir.path() / "m" / "tokenizer.json");
    fs::remove(dir.path() / "m" / "config.json");
    fs::copy_file(kTiny / "tiny-llama" / "config.json", dir.path() / "m" / "config.json");
    fs::create_directory(dir.path() / "m" / "tokenizer.json");
    msg = errorOf([&] { openCheckpoint((dir.path() / "m").string()); });
    EXPECT_NE(msg.find("tokenizer.json: is a folder, not a regular file"), std::string::npos) << msg;
}

// The layout huggingface_hub's cache uses: models--ORG--NAME/{blobs,refs,snapshots/REV}, every file of a
// snapshot a relative link to ../../blobs/HASH.
fs::path makeHfCache(const fs::path& root, const fs::path& source, const std::string& repo)
{
    const fs::path model = root / ("models--" + repo);
    const std::string rev = "0123456789abcdef0123456789abcdef01234567";
    const fs::path snapshot = model / "snapshots" / rev;
    fs::create_directories(model / "blobs");
    fs::create_directories(model / "refs");
    fs::create_directories(snapshot);
    std::ofstream(model / "refs" / "main") << rev;
    int n = 0;
    for (const auto& e : fs::directory_iterator(source)) {
        const std::string blob = "b10b" + std::to_string(++n) + "f00d" + std::string(52, 'e');
        fs::copy_file(e.path(), model / "blobs" / blob);
        fs::create_symlink(fs::path("..") / ".." / "blobs" / blob, snapshot / e.path().filename());
    }
    return snapshot;
}

TEST(SpecialFiles, HuggingFaceCacheSnapshotOpensThroughItsLinks)
{
    TempDir dir;
    const fs::path snapshot = makeHfCache(dir.path(), kTiny / "tiny-llama", "attnscope--tiny-llama");
    auto model = LoadedModel::open(snapshot.string());
    EXPECT_FALSE(model->tokenizer().encode("Hello world").ids.empty());
    EXPECT_EQ(model->checkpoint().format, CheckpointFormat::HfFolder);

    const ModelInfo info = describeModel(*model);
    ASSERT_EQ(info.files.size(), 1u);
    EXPECT_EQ(info.files[0].path, (snapshot / "model.safetensors").string());
    EXPECT_EQ(fs::path(info.files[0].resolvedPath).parent_path().filename(), "blobs") << info.files[0].resolvedPath;
    EXPECT_EQ(info.files[0].resolvedPath, fs::canonical(snapshot / "model.safetensors").string());
    EXPECT_EQ(info.files[0].bytes, fs::file_size(kTiny / "tiny-llama" / "model.safetensors"));
    const auto j = toJson(info);
    EXPECT_EQ(j["files"][0]["resolved_path"], info.files[0].resolvedPath);
    EXPECT_EQ(j["resolved_path"], fs::canonical(snapshot).string());
}

TEST(SpecialFiles, ShardedHuggingFaceCacheSnapshotFindsShardsNextToTheIndexLink)
{
    // The index itself is a link into blobs/: its shards are looked up in the snapshot folder, where the links
    // are, not next to the blob the index resolves to.
    TempDir dir;
    const fs::path snapshot = makeHfCache(dir.path(), kTiny / "tiny-qwen3", "attnscope--tiny-qwen3");
    auto ck = openCheckpoint(snapshot.string());
    EXPECT_EQ(ck->files.size(), 4u);
    for (const auto& f : ck->files)
        EXPECT_EQ(fs::path(f->resolvedPath()).parent_path().filename(), "blobs") << f->resolvedPath();
    auto direct = openCheckpoint((snapshot / "model.safetensors.index.json").string());
    EXPECT_EQ(direct->tensors.size(), ck->tensors.size());
    EXPECT_NO_THROW(LoadedModel::fromCheckpoint(ck));
}
