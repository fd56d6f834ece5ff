package dev.shelf.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.gateway.config.SecretBox;
import dev.shelf.gateway.config.StoredConfig;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Providers and models stored through the admin API. A provider's {@code api_key} is sealed with
 * the {@link SecretBox} (bound to the provider's name) and kept apart from the rest of its entry;
 * it is opened only to build the {@link #document()} the running shelf loads, never returned by the
 * API. Every change bumps one version row in the same transaction; nodes poll it.
 */
public final class JdbiConfigStore implements StoredConfig {

  private final Jdbi jdbi;
  private final SecretBox box;

  public JdbiConfigStore(Database db, SecretBox box) {
    this.jdbi = db.jdbi();
    this.box = box;
  }

  @Override
  public long version() {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT version FROM config_version WHERE id = 1")
                .mapTo(Long.class)
                .one());
  }

  @Override
  public List<Entry> entries() {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT kind, name, body, secret, updated_ms FROM config_entries ORDER BY kind,"
                        + " updated_ms, name")
                .map(
                    (rs, ctx) ->
                        new Entry(
                            rs.getString(1),
                            rs.getString(2),
                            (ObjectNode) Json.parse(rs.getBytes(3)),
                            rs.getString(4),
                            rs.getLong(5)))
                .list());
  }

  @Override
  public String document() {
    return document(entries());
  }

  @Override
  public String document(List<Entry> entries) {
    ObjectNode doc = Json.object();
    ObjectNode providers = doc.putObject("providers");
    var models = doc.putArray("models");
    for (Entry e : entries) {
      ObjectNode body = e.body().deepCopy();
      if (PROVIDER.equals(e.kind())) {
        if (e.secret() != null) {
          body.put("api_key", box.open(e.secret(), context(e.kind(), e.name())));
        }
        providers.set(e.name(), body);
      } else {
        body.put("id", e.name());
        models.add(body);
      }
    }
    return Json.string(doc);
  }

  @Override
  public Entry seal(String kind, String name, ObjectNode body, @Nullable Entry previous) {
    ObjectNode clean = body.deepCopy();
    JsonNode key = clean.remove("api_key");
    String secret;
    if (key != null && !key.isNull()) {
      secret = box.seal(key.asText(), context(kind, name));
    } else {
      secret = previous == null ? null : previous.secret(); // omitted: keep the stored key
    }
    return new Entry(kind, name, clean, secret, System.currentTimeMillis());
  }

  @Override
  public void put(Entry e) {
    jdbi.useTransaction(
        h -> {
          int n =
              h.createUpdate(
                      "UPDATE config_entries SET body = :body, secret = :secret, updated_ms = :at"
                          + " WHERE kind = :kind AND name = :name")
                  .bind("body", Json.string(e.body()))
                  .bind("secret", e.secret())
                  .bind("at", e.updatedMs())
                  .bind("kind", e.kind())
                  .bind("name", e.name())
                  .execute();
          if (n == 0) {
            h.createUpdate(
                    "INSERT INTO config_entries (kind, name, body, secret, updated_ms) VALUES"
                        + " (:kind, :name, :body, :secret, :at)")
                .bind("body", Json.string(e.body()))
                .bind("secret", e.secret())
                .bind("at", e.updatedMs())
                .bind("kind", e.kind())
                .bind("name", e.name())
                .execute();
          }
          h.createUpdate("UPDATE config_version SET version = version + 1 WHERE id = 1").execute();
        });
  }

  @Override
  public boolean delete(String kind, String name) {
    return jdbi.inTransaction(
        h -> {
          int n =
              h.createUpdate("DELETE FROM config_entries WHERE kind = :kind AND name = :name")
                  .bind("kind", kind)
                  .bind("name", name)
                  .execute();
          if (n > 0) {
            h.createUpdate("UPDATE config_version SET version = version + 1 WHERE id = 1")
                .execute();
          }
          return n > 0;
        });
  }

  private static String context(String kind, String name) {
    return kind + ":" + name;
  }
}
