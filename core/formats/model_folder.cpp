// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/formats/model_folder.h"
#include "core/util/error.h"

#include <filesystem>

namespace attnscope {

namespace fs = std::filesystem;

std::string ModelFolder::pathOf(const std::string& name) const
{
    return (fs::path(path()) / name).string();
}

namespace {

class DiskFolder final : public ModelFolder {
public:
    explicit DiskFolder(std::string path) : m_path(std::move(path)) {}
    const std::string& path() const override { return m_path; }
    bool has(const std::string& name) const override
    {
        std::error_code ec;
        return fs::exists(fs::symlink_status(fs::path(m_path) / name, ec));   // a dangling link is found, then refused
    }
    std::shared_ptr<const MappedFile> open(const std::string& name) const override { return MappedFile::open(pathOf(name)); }

private:
    std::string m_path;
};

class MemoryFolder final : public ModelFolder {
public:
    MemoryFolder(std::string path, std::map<std::string, std::vector<uint8_t>> files)
        : m_path(std::move(path))
        , m_files(std::move(files))
    {
    }
    const std::string& path() const override { return m_path; }
    bool has(const std::string& name) const override { return m_files.count(name) != 0; }
    std::shared_ptr<const MappedFile> open(const std::string& name) const override
    {
        auto it = m_files.find(name);
        if (it == m_files.end())
            throw Error(ErrorKind::Io, pathOf(name), "", -1, "cannot open: No such file or directory");
        return MappedFile::fromBytes(pathOf(name), it->second);
    }

private:
    std::string m_path;
    std::map<std::string, std::vector<uint8_t>> m_files;
};

} // namespace

std::unique_ptr<ModelFolder> diskFolder(const std::string& path)
{
    return std::make_unique<DiskFolder>(path);
}

std::unique_ptr<ModelFolder> memoryFolder(std::string path, std::map<std::string, std::vector<uint8_t>> files)
{
    return std::make_unique<MemoryFolder>(std::move(path), std::move(files));
}

std::string readTextCapped(const MappedFile& f, uint64_t cap)
{
    if (f.size() > cap)
        throw Error::format(f.path(), "", -1, "file of " + std::to_string(f.size()) + " bytes exceeds the cap of " +
                                                  std::to_string(cap) + " bytes");
    return std::string(reinterpret_cast<const char*>(f.data()), static_cast<size_t>(f.size()));
}

} // namespace attnscope
