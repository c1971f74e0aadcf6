// The agent's reject samples (<p>/rejects/<job_id>/<agent_id>, agent/reject_sampler.h).
#include "agent/agent.h"
#include "agent/metrics.h"

namespace edgeline {

std::unique_ptr<RejectReporter> Agent::MakeRejectReporter(const JobSpec& spec,
                                                          RejectReporter::SourceFn source) {
  if (opts_.rejects_per_minute <= 0) return nullptr;
  const std::string topic = topics_.Rejects(spec.job_id, opts_.agent_id);
  MqttClient* mqtt = mqtt_.get();
  return std::make_unique<RejectReporter>(
      spec, opts_.agent_id, opts_.rejects_per_minute,
      [mqtt, topic](const std::string& payload) {
        return mqtt->PublishNoWait(topic, payload, /*qos=*/0, /*retained=*/false).ok();
      },
      std::move(source));
}

void Agent::ReportRejectSamples(const std::string& job_id, RejectReporter* reporter) {
  if (!reporter) return;
  RejectReporter::Counts c = reporter->TakeCounts();
  agent_metrics::AddRejectSamples(job_id, c.published, c.unsent, c.suppressed);
}

}  // namespace edgeline
