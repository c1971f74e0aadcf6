// Agent: the worker of a job with a file, tail or stdin input (RunJob), and what every
// job's worker shares: its checkpoints (where it resumes, what they hold) and sealing a
// batch into the spool. The worker of an mqtt input is in agent/agent_mqtt_job.cc.
#include <chrono>
#include <optional>

#include "agent/agent.h"
#include "agent/metrics.h"
#include "common/batch_codec.h"
#include "common/json_text.h"
#include "common/log.h"
#include "common/time_util.h"
#include "common/window_store.h"

namespace edgeline {

std::optional<nlohmann::json> Agent::LatestCheckpoint(const JobSpec& spec) {
  // The checkpoint file, or the one inside the newest spooled batch when that is newer
  // (a crash between spooling a batch and updating the file).
  std::optional<nlohmann::json> best = state_->LoadCheckpoint(spec.job_id);
  if (auto meta = spool_->NewestMeta(spec.job_id)) {
    nlohmann::json j = nlohmann::json::parse(*meta, nullptr, false);
    if (j.is_object() && (!best || j.value("seq", int64_t{0}) > best->value("seq", int64_t{0}))) {
      best = std::move(j);
    }
  }
  if (!best || !best->contains("files")) return std::nullopt;
  if (best->value("seq", int64_t{0}) <= state_->ResetSeq(spec.job_id)) {
    return std::nullopt;  // from a run of the job before it was deleted
  }
  if (best->value("version", int64_t{0}) == spec.version) return best;
  if (spec.input_type == "tail") {
    // A new version of a followed job goes on where the old one stopped; it counts anew,
    // and its clean ops start empty (they may differ; the old version's held records were
    // released when it stopped).
    (*best)["counters"] = nlohmann::json::object();
    best->erase("clean");
    return best;
  }
  return std::nullopt;  // a new version of a batch job reads its input again
}

nlohmann::json Agent::MakeCheckpoint(const JobSpec& spec, int64_t seq, nlohmann::json files,
                                     const JobPipeline& pipeline) {
  nlohmann::json cp{{"version", spec.version},
                    {"seq", seq},
                    {"files", std::move(files)},
                    {"counters", pipeline.counters().ToJson()}};
  nlohmann::json clean = pipeline.CleanState();
  if (!clean.is_null()) cp["clean"] = std::move(clean);
  return cp;
}

void Agent::RestorePipeline(const JobSpec& spec, const nlohmann::json& cp, JobPipeline* pipeline) {
  pipeline->RestoreCounters(JobCounters::FromJson(cp.value("counters", nlohmann::json())));
  Status s = pipeline->RestoreCleanState(cp.value("clean", nlohmann::json()));
  if (!s.ok()) {
    LOG_WARN("job " << spec.job_id
                    << ": the checkpoint's clean state is not used: " << s.message());
  }
}

void Agent::RunJob(RunningJob* job) {
  if (job->spec.input_type == "mqtt") return RunMqttJob(job);
  const JobSpec& spec = job->spec;
  const bool follow = spec.input_type == "tail";
  FileSource source(spec, spec.ExpandPath(opts_.agent_id), follow);
  JobPipeline* pipeline_ptr = nullptr;
  // The checkpoint as of the current position: where reading stands and what it counted.
  auto checkpoint = [&](int64_t seq) {
    return MakeCheckpoint(spec, seq, source.Checkpoint(pipeline_ptr->position()), *pipeline_ptr);
  };
  JobPipeline pipeline(
      spec,
      [&](std::vector<Record>&& records) { return SealBatch(job, std::move(records), checkpoint); },
      &job->cancel);
  pipeline_ptr = &pipeline;
  auto rejects = MakeRejectReporter(spec, [&source] { return source.current_path(); });
  if (rejects) {
    pipeline.set_reject_observer([&rejects](const std::string& reason, std::string_view raw) {
      rejects->OnReject(reason, raw);
    });
  }
  if (auto cp = LatestCheckpoint(spec)) {
    source.Restore((*cp)["files"]);
    RestorePipeline(spec, *cp, &pipeline);
    LOG_INFO("job " << spec.job_id << " v" << spec.version << " resumes at its checkpoint (seq "
                    << cp->value("seq", int64_t{0}) << ")");
  }
  agent_metrics::OnCursors(spec.job_id, source.Checkpoint(pipeline.position()), false);
  PublishStatus(spec.job_id, spec.version, "running", pipeline.Snapshot().ToJson(), "");
  int64_t last_status_ms = NowMs();
  Status s;
  if (spec.input_type == "stdin") {
    s = Status::Error("input.type \"stdin\" is for edgeline-agent run; the daemon has no stdin");
  }
  while (s.ok() && !job->cancel) {
    s = source.Poll(&pipeline);
    if (!s.ok()) break;
    if (!follow) {
      s = pipeline.Flush();
      break;
    }
    s = pipeline.FlushIfDue(NowMs());
    if (!s.ok()) break;
    if (NowMs() - last_status_ms >= opts_.status_interval_ms) {
      last_status_ms = NowMs();
      ReportRejectSamples(spec.job_id, rejects.get());
      PublishStatus(spec.job_id, spec.version, "running", pipeline.Snapshot().ToJson(), "");
    }
    std::unique_lock<std::mutex> lock(job->mu);
    job->cv.wait_for(lock, std::chrono::milliseconds(spec.poll_ms),
                     [job] { return job->cancel.load(); });
  }
  if (follow && job->replaced && (s.ok() || job->cancel)) {
    // A new version takes over at this version's cursors: what was read is sealed here,
    // with what the clean ops still hold (a linear fill's records, released unfilled).
    // Also after a cancel in mid-chunk: the position is then the last row processed.
    s = pipeline.Flush();
  }
  ReportRejectSamples(spec.job_id, rejects.get());
  FinishJob(job, s, pipeline.counters().ToJson());
}

void Agent::FinishJob(RunningJob* job, const Status& s, const nlohmann::json& counters) {
  const JobSpec& spec = job->spec;
  if (job->cancel) {
    LOG_INFO("job " << spec.job_id << " v" << spec.version << " stopped");
  } else if (s.ok()) {
    Status m = state_->MarkCompleted(spec.job_id, spec.version, counters);
    if (!m.ok()) LOG_ERROR("job " << spec.job_id << ": " << m.message());
    LOG_INFO("job " << spec.job_id << " v" << spec.version << " completed: " << counters.dump());
    PublishStatus(spec.job_id, spec.version, "completed", counters, "");
  } else {
    LOG_WARN("job " << spec.job_id << " v" << spec.version << " failed: " << s.message());
    PublishStatus(spec.job_id, spec.version, "failed", counters, s.message());
  }
  job->finished = true;
}

Status Agent::SealBatch(RunningJob* job, std::vector<Record>&& records,
                        const std::function<nlohmann::json(int64_t seq)>& checkpoint) {
  const JobSpec& spec = job->spec;
  Batch batch =
      MakeBatch(spec.OutputFields(), spec.ts_field, spec.OutputRecords(std::move(records)));
  if (spec.aggregate_at_edge) {
    // Edge pre-aggregation: the batch's windows replace its records on the wire.
    batch.header.job_id = spec.job_id;
    batch.partials = WindowStore::Summarise(batch, spec);
    batch.is_partials = true;
    batch.ts.clear();
    batch.columns.clear();
  }
  auto seq = state_->NextSeq(spec.job_id);
  if (!seq.ok()) return seq.status();
  BatchHeader& h = batch.header;
  h.agent_id = opts_.agent_id;
  h.job_id = spec.job_id;
  h.job_version = spec.version;
  h.epoch = state_->epoch();
  h.seq = seq.value();
  h.schema_hash = spec.SchemaHash();
  h.published_ms = NowMs();
  int64_t min_spooled = spool_->MinSeq(spec.job_id);
  h.spool_floor = min_spooled > 0 ? min_spooled : h.seq;
  // The batch and the checkpoint after it go to disk in one file, so a restart resumes
  // exactly after the last spooled batch. The checkpoint file follows; the publisher
  // may send the batch (and its ack may remove it) only after that.
  nlohmann::json cp = checkpoint(h.seq);
  nlohmann::json meta = cp;
  meta["records"] = h.count;
  Status s = spool_->Put(spec.job_id, h.seq, EncodeBatch(batch, spec.compress_zstd), h.published_ms,
                         JsonText(meta), h.count, /*ready=*/false);
  if (!s.ok()) return s;
  s = state_->SaveCheckpoint(spec.job_id, cp, opts_.spool.fsync == FsyncPolicy::kAlways);
  if (!s.ok()) return s;
  spool_->MarkReady(spec.job_id, h.seq);
  agent_metrics::OnCursors(spec.job_id, cp.value("files", nlohmann::json()), true);
  publisher_->Notify();
  return Status::Ok();
}

}  // namespace edgeline
