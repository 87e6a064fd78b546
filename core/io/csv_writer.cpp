// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/io/csv_writer.h"

#include <cmath>
#include <cstdio>

namespace attnscope {

namespace {

/// Buffers rows and hands them to the sink in large pieces.
class CsvOut {
public:
    explicit CsvOut(ByteSink& sink) : m_sink(sink) {}
    void add(const std::string& s)
    {
        m_buf += s;
        if (m_buf.size() > (1u << 20))
            flush();
    }
    bool flush()
    {
        if (m_ok && !m_buf.empty())
            m_ok = m_sink.write(m_buf.data(), m_buf.size());
        m_buf.clear();
        return m_ok;
    }
    bool ok() const { return m_ok; }

private:
    ByteSink& m_sink;
    std::string m_buf;
    bool m_ok = true;
};

} // namespace

std::string csvNumber(double v)
{
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\r\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

bool writeMapsCsv(ByteSink& sink, const std::vector<AttentionMapPtr>& maps, const std::vector<std::string>& tokenText,
                  std::string& error)
{
    int64_t cells = 0;
    for (const AttentionMapPtr& m : maps)
        if (m)
            cells += m->tokens * m->tokens;
    if (cells > kMaxCsvCells) {
        error = "the maps have " + std::to_string(cells) + " cells, over the " + std::to_string(kMaxCsvCells) +
                " a CSV file takes here; export .npz or HDF5 instead";
        return false;
    }
    CsvOut out(sink);
    out.add("layer,head,query,key,query_token,key_token,value,masked\n");
    auto tok = [&](int64_t i) { return i < static_cast<int64_t>(tokenText.size()) ? csvField(tokenText[static_cast<size_t>(i)]) : std::string(); };
    for (const AttentionMapPtr& m : maps) {
        if (!m)
            continue;
        const std::string prefix = std::to_string(m->layer) + "," + std::to_string(m->head) + ",";
        for (int64_t i = 0; i < m->tokens && out.ok(); ++i) {
            const std::string qt = tok(i);
            for (int64_t j = 0; j < m->tokens; ++j) {
                const bool masked = m->isMasked(i, j) || m->isMaskedRow(i);
                out.add(prefix + std::to_string(i) + "," + std::to_string(j) + "," + qt + "," + tok(j) + "," +
                        csvNumber(m->at(i, j)) + (masked ? ",1\n" : ",0\n"));
            }
        }
    }
    if (!out.flush()) {
        error = "write failed: " + sink.errorString();
        return false;
    }
    return true;
}

bool writeMetricsCsv(ByteSink& sink, const MetricsTable& table, std::string& error)
{
    CsvOut out(sink);
    out.add("layer,head,metric,value\n");
    for (int l = 0; l < table.layers; ++l)
        for (int h = 0; h < table.heads; ++h)
            for (int k = 0; k < kHeadMetricCount; ++k) {
                const auto m = static_cast<HeadMetric>(k);
                out.add(std::to_string(l) + "," + std::to_string(h) + "," + headMetricId(m) + "," +
                        csvNumber(table.value(l, h, m)) + "\n");
            }
    if (!out.flush()) {
        error = "write failed: " + sink.errorString();
        return false;
    }
    return true;
}

bool writeLayerHeadCsv(ByteSink& sink, int layers, int heads, const std::vector<double>& values,
                       const std::string& valueName, std::string& error)
{
    if (static_cast<int64_t>(values.size()) != int64_t(layers) * heads) {
        error = "table size does not match layers × heads";
        return false;
    }
    CsvOut out(sink);
    out.add("layer,head," + csvField(valueName) + "\n");
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h)
            out.add(std::to_string(l) + "," + std::to_string(h) + "," +
                    csvNumber(values[static_cast<size_t>(l) * static_cast<size_t>(heads) + static_cast<size_t>(h)]) + "\n");
    if (!out.flush()) {
        error = "write failed: " + sink.errorString();
        return false;
    }
    return true;
}

} // namespace attnscope
