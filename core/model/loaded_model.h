// A checkpoint opened for running: validated config, layer plan and tokenizer. Immutable; share it.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "core/formats/checkpoint.h"
#include "core/model/layer_plan.h"
#include "core/model/model_config.h"
#include "core/tokenizer/tokenizer.h"

#include <memory>
#include <string>

namespace attnscope {

class LoadedModel {
public:
    /// Opens the checkpoint, reads and validates the config, maps the tensors and builds the tokenizer.
    /// Throws Error; the message names the file, field and reason.
    static std::shared_ptr<const LoadedModel> open(const std::string& path);
    /// As open() but from an already opened checkpoint.
    static std::shared_ptr<const LoadedModel> fromCheckpoint(std::shared_ptr<const Checkpoint> ckpt);

    const Checkpoint& checkpoint() const { return *m_ckpt; }
    std::shared_ptr<const Checkpoint> checkpointPtr() const { return m_ckpt; }
    const ModelConfig& config() const { return m_config; }
    const LayerPlan& plan() const { return m_plan; }
    const Tokenizer& tokenizer() const { return *m_tokenizer; }

private:
    std::shared_ptr<const Checkpoint> m_ckpt;
    ModelConfig m_config;
    LayerPlan m_plan;
    std::unique_ptr<Tokenizer> m_tokenizer;
};

} // namespace attnscope
