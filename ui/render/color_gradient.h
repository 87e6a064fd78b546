// QCPColorGradient for the colourbar that matches colouriseGrid exactly: the LUT as 256 stops, placed along a
// power law for the power scale (so the bar's linear axis reads true values), log axis for the log scale.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/view_settings.h"

#include <qcustomplot.h>

namespace attnscope {

QCPColorGradient makeColorGradient(const ViewSettings& settings, bool isSigned);
/// Axis label for the colourbar, saying what the colours mean ("weight (power 0.5)", "weight ÷ row max, log")
/// and, when each pixel stands for a block of poolY × poolX cells, how the block was reduced ("max of 5×5 cells").
QString colorbarLabel(const ViewSettings& settings, bool isSigned, int poolX = 1, int poolY = 1);

} // namespace attnscope
