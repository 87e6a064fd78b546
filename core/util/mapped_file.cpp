// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/mapped_file.h"
#include "core/util/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

namespace attnscope {

namespace {

int64_t mtimeOf(const struct stat& st)
{
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

// Why a file that is not a regular file is refused, in the user's terms.
std::string notRegularReason(mode_t mode)
{
    const char* what = S_ISDIR(mode)    ? "a folder"
                       : S_ISFIFO(mode) ? "a named pipe (FIFO)"
                       : S_ISCHR(mode)  ? "a character device"
                       : S_ISBLK(mode)  ? "a block device"
                       : S_ISSOCK(mode) ? "a socket"
                                        : "not a regular file";
    return std::string("is ") + what + ", not a regular file; models are read only from regular files";
}

// Kernel pseudo file systems: their "regular" files report size 0 (or 4096) and produce content on read.
const char* pseudoFileSystem(int fd)
{
#ifdef __linux__
    struct statfs fs {};
    if (::fstatfs(fd, &fs) != 0)
        return nullptr;
    struct Known {
        unsigned long magic;
        const char* name;
    };
    static constexpr Known kKnown[] = {
        {0x9fa0, "proc"},           {0x62656572, "sysfs"},    {0x64626720, "debugfs"},
        {0x74726163, "tracefs"},    {0x73636673, "securityfs"}, {0x27e0eb, "cgroup"},
        {0x63677270, "cgroup2"},    {0x62656570, "configfs"}, {0xde5e81e4, "efivarfs"},
        {0xcafe4a11, "bpf"},        {0x6165676c, "pstore"},   {0x65735543, "fusectl"},
        {0x42494e4d, "binfmt_misc"},
    };
    const auto magic = static_cast<unsigned long>(fs.f_type) & 0xffffffffUL;
    for (const Known& k : kKnown)
        if (magic == k.magic)
            return k.name;
#else
    (void)fd;
#endif
    return nullptr;
}

} // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path)
{
    // Refuse by type before opening, so no device or pipe is ever opened (opening some devices has effects)...
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw Error(ErrorKind::Io, path, "", -1, std::string("cannot open: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw Error(ErrorKind::Io, path, "", -1, notRegularReason(st.st_mode));
    // ...open without blocking, in case a pipe was put in its place since...
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        throw Error(ErrorKind::Io, path, "", -1, std::string("cannot open: ") + std::strerror(errno));
    // ...and check again on the descriptor: what is mapped is what was checked.
    if (::fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw Error(ErrorKind::Io, path, "", -1, std::string("cannot stat: ") + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorKind::Io, path, "", -1, notRegularReason(st.st_mode));
    }
    if (const char* fs = pseudoFileSystem(fd)) {
        ::close(fd);
        throw Error(ErrorKind::Io, path, "", -1,
                    std::string("is on the kernel's ") + fs + " file system, not a model file");
    }
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->m_path = path;
    if (char* real = ::realpath(path.c_str(), nullptr)) {
        f->m_resolvedPath = real;
        std::free(real);
    } else {
        f->m_resolvedPath = path;
    }
    f->m_size = static_cast<uint64_t>(st.st_size);
    f->m_mtimeNs = mtimeOf(st);
    if (f->m_size > 0) {
        void* p = ::mmap(nullptr, f->m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            ::close(fd);
            throw Error(ErrorKind::Io, path, "", -1, std::string("cannot map: ") + std::strerror(e));
        }
        f->m_data = static_cast<const uint8_t*>(p);
        f->m_mapped = true;
    }
    ::close(fd);
    return f;
}

std::shared_ptr<const MappedFile> MappedFile::fromBytes(std::string name, std::vector<uint8_t> bytes)
{
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->m_path = std::move(name);
    f->m_resolvedPath = f->m_path;
    f->m_owned = std::move(bytes);
    f->m_inMemory = true;
    f->m_size = f->m_owned.size();
    f->m_data = f->m_owned.empty() ? nullptr : f->m_owned.data();
    return f;
}

MappedFile::~MappedFile()
{
    if (m_mapped && m_data)
        ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

bool MappedFile::unchangedOnDisk() const
{
    if (m_inMemory)
        return true; // nothing on disk can change under an in-memory file
    struct stat st {};
    if (::stat(m_path.c_str(), &st) != 0)
        return false;
    return static_cast<uint64_t>(st.st_size) == m_size && mtimeOf(st) == m_mtimeNs;
}

} // namespace attnscope
