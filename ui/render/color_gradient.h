// QCPColorGradient for the colourbar that matches colouriseGrid exactly: the LUT as 256 stops, placed along a
// power law for the power scale (so the bar's linear axis reads true values), log axis for the log scale.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include "ui/render/view_settings.h"

#include <qcustomplot.h>

namespace attnscope {

QCPColorGradient makeColorGradient(const ViewSettings& settings, bool isSigned);
/// Axis label for the colourbar, saying what the colours mean ("weight (power 0.5)", "weight ÷ row max, log").
QString colorbarLabel(const ViewSettings& settings, bool isSigned);

} // namespace attnscope
