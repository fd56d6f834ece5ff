package dev.shelf.eval.exec;

import dev.shelf.eval.run.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/** A {@link RunStore} in memory, for tests and one-off runs. */
public final class MemoryRunStore implements RunStore {
  private final Map<String, RunInfo> runs = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Response>> responses = new ConcurrentHashMap<>();
  private final Map<List<Object>, Judgement> judgements = new ConcurrentHashMap<>();

  @Override
  public synchronized void create(RunSpec spec, int items) {
    if (runs.containsKey(spec.name())) {
      throw new IllegalArgumentException("a run named " + spec.name() + " exists already");
    }
    runs.put(
        spec.name(), new RunInfo(spec, items, RunStatus.RUNNING, System.currentTimeMillis(), 0));
  }

  @Override
  public synchronized @Nullable RunInfo find(String name) {
    RunInfo info = runs.get(name);
    if (info == null) {
      return null;
    }
    long finished =
        responses.entrySet().stream()
            .filter(e -> e.getKey().startsWith(name + "\n"))
            .mapToLong(e -> e.getValue().size())
            .sum();
    return new RunInfo(info.spec(), info.items(), info.status(), info.createdMs(), finished);
  }

  @Override
  public List<RunInfo> list() {
    List<RunInfo> out = new ArrayList<>();
    for (String name : runs.keySet()) {
      RunInfo info = find(name);
      if (info != null) {
        out.add(info);
      }
    }
    out.sort(Comparator.comparingLong(RunInfo::createdMs).reversed());
    return out;
  }

  @Override
  public Map<String, Response> responses(String run, String model) {
    return new LinkedHashMap<>(responses.getOrDefault(run + "\n" + model, Map.of()));
  }

  @Override
  public void save(String run, String model, String itemId, Response response) {
    responses
        .computeIfAbsent(run + "\n" + model, k -> new ConcurrentHashMap<>())
        .putIfAbsent(itemId, response);
  }

  @Override
  public synchronized void status(String run, RunStatus status) {
    RunInfo info = runs.get(run);
    if (info == null) {
      throw new IllegalArgumentException("no run named " + run);
    }
    runs.put(run, new RunInfo(info.spec(), info.items(), status, info.createdMs(), 0));
  }

  @Override
  public synchronized boolean delete(String run) {
    responses.keySet().removeIf(k -> k.startsWith(run + "\n"));
    judgements.keySet().removeIf(k -> k.get(0).equals(run));
    return runs.remove(run) != null;
  }

  @Override
  public void saveJudgement(String run, Judgement j) {
    judgements.putIfAbsent(List.of(run, j.judge(), j.kind(), j.model(), j.other(), j.itemId()), j);
  }

  @Override
  public List<Judgement> judgements(String run) {
    List<Judgement> out = new ArrayList<>();
    judgements.forEach(
        (key, j) -> {
          if (key.get(0).equals(run)) {
            out.add(j);
          }
        });
    return out;
  }

  @Override
  public List<Judgement> judgements(String run, String judge, JudgeKind kind) {
    List<Judgement> out = new ArrayList<>();
    judgements.forEach(
        (key, j) -> {
          if (key.get(0).equals(run) && j.judge().equals(judge) && j.kind() == kind) {
            out.add(j);
          }
        });
    return out;
  }
}
