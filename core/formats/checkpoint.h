// The validated, immutable description of a checkpoint: tensor table, metadata and tokenizer sources.
// Produced by the GGUF / safetensors / HF-folder readers (FORMATS.md); everything in it has been bounds-
// and overflow-checked against the mapped files, so accessors never read outside them.
// Threading: immutable after construction; safe to share between threads.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/tensor/dtype.h"
#include "core/util/mapped_file.h"

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnscope {

enum class CheckpointFormat { Gguf, Safetensors, HfFolder };
const char* checkpointFormatName(CheckpointFormat f);

/// One metadata value (GGUF key/value or safetensors __metadata__ entry).
struct MetaValue {
    enum class Type { UInt, Int, Float, Bool, String, ArrayUInt, ArrayInt, ArrayFloat, ArrayBool, ArrayString };
    Type type = Type::UInt;
    uint32_t ggufType = 0;      // original GGUF value type id (arrays: element type), 8 for strings
    uint64_t u = 0;
    int64_t i = 0;
    double f = 0;
    bool b = false;
    std::string s;
    std::vector<uint64_t> au;
    std::vector<int64_t> ai;
    std::vector<double> af;
    std::vector<std::string> as;  // ArrayString (ArrayBool is stored in au as 0/1)

    bool isInteger() const { return type == Type::UInt || type == Type::Int; }
    bool isArray() const { return type >= Type::ArrayUInt; }
    size_t arraySize() const;
};

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;   // outermost first (dtype.h conventions)
    uint32_t fileIndex = 0;       // which mapped file (shards)
    uint64_t fileOffset = 0;      // absolute byte offset in that file
    uint64_t nbytes = 0;

    uint64_t elementCount() const;                        // product of shape (validated not to overflow)
    int64_t rows() const;                                 // product of all but the last dim (1 for rank <= 1, 0 if empty)
    int64_t rowLength() const;                            // last dim (1 for rank 0)
};

class Checkpoint {
public:
    CheckpointFormat format = CheckpointFormat::Gguf;
    std::string path;                                      // file or folder the user opened
    std::vector<std::shared_ptr<const MappedFile>> files;  // index = TensorInfo::fileIndex
    std::vector<TensorInfo> tensors;                       // in file order
    std::map<std::string, MetaValue> metadata;             // GGUF KVs / safetensors __metadata__
    nlohmann::json config;                                 // HF config.json (null for GGUF)
    std::string tokenizerJson;                             // HF tokenizer.json contents ("" if none)
    std::string tokenizerConfigJson;                       // HF tokenizer_config.json contents ("" if none)
    uint64_t totalBytes = 0;                               // size on disk of all files

    const TensorInfo* find(const std::string& name) const;
    /// Pointer to the first byte of a tensor's data (validated extent).
    const uint8_t* data(const TensorInfo& t) const { return files[t.fileIndex]->data() + t.fileOffset; }
    const MetaValue* meta(const std::string& key) const;

    /// Rebuilds the name index; readers call it once after filling `tensors`.
    void buildIndex();

private:
    std::unordered_map<std::string, size_t> m_index;
};

/// Opens a .gguf file, a .safetensors file, a sharded index (model.safetensors.index.json) or a model folder.
/// Refuses pickle files (.bin/.pt/.pth/.ckpt) with a message explaining how to convert them. Throws Error.
std::shared_ptr<const Checkpoint> openCheckpoint(const std::string& path);

} // namespace attnscope
