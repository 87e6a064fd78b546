// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/rollout.h"

#include <Eigen/Core>

namespace attnscope {

std::vector<double> attentionRollout(const std::vector<std::vector<AttentionMapPtr>>& layers, int64_t T)
{
    using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Mat R = Mat::Identity(T, T);
    for (const auto& heads : layers) {
        Mat W = Mat::Zero(T, T);
        int n = 0;
        for (const AttentionMapPtr& m : heads) {
            if (!m || m->tokens != T)
                continue;
            for (int64_t i = 0; i < T; ++i)
                for (int64_t j = 0; j < T; ++j)
                    W(i, j) += m->at(i, j);
            ++n;
        }
        if (n == 0)
            continue;
        W /= double(n);
        W += Mat::Identity(T, T);
        for (int64_t i = 0; i < T; ++i)
            W.row(i) /= W.row(i).sum();
        R = W * R;
    }
    return std::vector<double>(R.data(), R.data() + T * T);
}

} // namespace attnscope
