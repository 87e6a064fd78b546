// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/model/loaded_model.h"

namespace attnscope {

std::shared_ptr<const LoadedModel> LoadedModel::open(const std::string& path)
{
    return fromCheckpoint(openCheckpoint(path));
}

std::shared_ptr<const LoadedModel> LoadedModel::fromCheckpoint(std::shared_ptr<const Checkpoint> ckpt)
{
    auto m = std::make_shared<LoadedModel>(LoadedModel());
    m->m_ckpt = std::move(ckpt);
    m->m_config = modelConfigFromCheckpoint(*m->m_ckpt);
    m->m_plan = buildLayerPlan(*m->m_ckpt, m->m_config);
    m->m_tokenizer = makeTokenizer(*m->m_ckpt);
    return m;
}

} // namespace attnscope
