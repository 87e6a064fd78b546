// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/mapped_file.h"
#include "core/util/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attnscope {

static int64_t mtimeOf(const struct stat& st)
{
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(ErrorKind::Io, path, "", -1, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw Error(ErrorKind::Io, path, "", -1, std::string("cannot stat: ") + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(ErrorKind::Io, path, "", -1, "not a regular file");
    }
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->m_path = path;
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
