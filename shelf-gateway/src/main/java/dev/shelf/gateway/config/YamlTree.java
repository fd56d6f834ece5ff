package dev.shelf.gateway.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * A YAML document read as a tree that remembers where each value was written, so every error can
 * name the file, the line and the key. Scalars have {@code ${VAR}} and {@code ${VAR:-default}}
 * references to environment variables expanded.
 */
public final class YamlTree {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

  private final String file;
  private final Map<String, String> env;

  private YamlTree(String file, Map<String, String> env) {
    this.file = file;
    this.env = env;
  }

  /** A value at a path in the document. */
  public final class Value {
    private final Node node;
    private final String path;

    Value(Node node, String path) {
      this.node = node;
      this.path = path;
    }

    public String path() {
      return path;
    }

    public int line() {
      return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    public ConfigException error(String message) {
      return new ConfigException(file + ":" + line() + ": " + path + ": " + message);
    }

    public boolean isMap() {
      return node instanceof MappingNode;
    }

    public boolean isList() {
      return node instanceof SequenceNode;
    }

    public boolean isNull() {
      return node instanceof ScalarNode s && s.getTag().getValue().endsWith(":null");
    }

    /** The entries of a mapping, in order; rejects keys not in {@code allowed} (unless empty). */
    public Entries entries(java.util.Set<String> allowed) {
      return new Entries(this, map(allowed));
    }

    public Map<String, Value> map(java.util.Set<String> allowed) {
      if (!(node instanceof MappingNode m)) {
        throw error("must be a mapping");
      }
      var out = new LinkedHashMap<String, Value>();
      for (NodeTuple t : m.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode k)) {
          throw error("keys must be plain strings");
        }
        String key = k.getValue();
        String childPath = path.isEmpty() ? key : path + "." + key;
        if (!allowed.isEmpty() && !allowed.contains(key)) {
          throw new Value(t.getKeyNode(), childPath)
              .error("unknown key; expected one of " + new java.util.TreeSet<>(allowed));
        }
        if (out.put(key, new Value(t.getValueNode(), childPath)) != null) {
          throw new Value(t.getKeyNode(), childPath).error("duplicate key");
        }
      }
      return out;
    }

    public List<Value> list() {
      if (!(node instanceof SequenceNode s)) {
        throw error("must be a list");
      }
      var out = new ArrayList<Value>();
      int i = 0;
      for (Node n : s.getValue()) {
        out.add(new Value(n, path + "[" + i++ + "]"));
      }
      return out;
    }

    /** A scalar as text, with environment references expanded. */
    public String string() {
      if (!(node instanceof ScalarNode s)) {
        throw error("must be a single value");
      }
      return expand(s.getValue());
    }

    public List<String> strings() {
      if (node instanceof ScalarNode) {
        return List.of(string());
      }
      return list().stream().map(Value::string).toList();
    }

    public int integer(long min, long max) {
      String s = string().trim().replace("_", "");
      long v;
      try {
        v = Long.parseLong(s);
      } catch (NumberFormatException e) {
        throw error("must be a whole number but was '" + s + "'");
      }
      if (v < min || v > max) {
        throw error("must be between " + min + " and " + max + " but was " + v);
      }
      return (int) v;
    }

    public double number(double min, double max) {
      String s = string().trim();
      double v;
      try {
        v = Double.parseDouble(s);
      } catch (NumberFormatException e) {
        throw error("must be a number but was '" + s + "'");
      }
      if (!(v >= min && v <= max)) {
        throw error("must be between " + min + " and " + max + " but was " + s);
      }
      return v;
    }

    public boolean bool() {
      String s = string().trim();
      return switch (s) {
        case "true", "yes", "on" -> true;
        case "false", "no", "off" -> false;
        default -> throw error("must be true or false but was '" + s + "'");
      };
    }

    /**
     * Durations as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 30d} or a bare number
     * of seconds.
     */
    public java.time.Duration duration() {
      String s = string().trim();
      Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)?").matcher(s);
      if (!m.matches()) {
        throw error("must be a duration like 500ms, 30s or 5m but was '" + s + "'");
      }
      double n = Double.parseDouble(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      long millis =
          (long)
              switch (unit) {
                case "ms" -> n;
                case "s" -> n * 1000;
                case "m" -> n * 60_000;
                case "h" -> n * 3_600_000;
                default -> n * 86_400_000;
              };
      return java.time.Duration.ofMillis(millis);
    }

    /** Plain values (for adapter options): strings, lists and maps. */
    public Object plain() {
      if (node instanceof ScalarNode) {
        return string();
      }
      if (node instanceof SequenceNode) {
        return list().stream().map(Value::plain).toList();
      }
      var out = new LinkedHashMap<String, Object>();
      map(java.util.Set.of()).forEach((k, v) -> out.put(k, v.plain()));
      return out;
    }

    private String expand(String raw) {
      Matcher m = ENV.matcher(raw);
      var sb = new StringBuilder();
      while (m.find()) {
        String value = env.get(m.group(1));
        if (value == null || (value.isEmpty() && m.group(2) != null)) {
          value = m.group(3);
        }
        if (value == null) {
          throw error("environment variable " + m.group(1) + " is not set");
        }
        m.appendReplacement(sb, Matcher.quoteReplacement(value));
      }
      m.appendTail(sb);
      return sb.toString();
    }
  }

  /** Parses YAML text; an empty document is an empty mapping. */
  public static Value parse(String file, String text, Map<String, String> env) {
    var tree = new YamlTree(file, env);
    Optional<Node> root;
    try {
      root = new Compose(LoadSettings.builder().setLabel(file).build()).composeString(text);
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().map(Mark::getLine).orElse(-1) + 1;
      throw new ConfigException(file + ":" + line + ": " + e.getProblem());
    } catch (RuntimeException e) {
      throw new ConfigException(file + ": " + e.getMessage());
    }
    if (root.isEmpty()) {
      return tree
      .new Value(
          new MappingNode(
              org.snakeyaml.engine.v2.nodes.Tag.MAP,
              List.of(),
              org.snakeyaml.engine.v2.common.FlowStyle.BLOCK),
          "");
    }
    return tree.new Value(root.get(), "");
  }

  /** The entries of one mapping, with typed reads that fall back to defaults. */
  public static final class Entries {
    private final Value owner;
    private final Map<String, Value> map;

    Entries(Value owner, Map<String, Value> map) {
      this.owner = owner;
      this.map = map;
    }

    public Value owner() {
      return owner;
    }

    public java.util.Set<Map.Entry<String, Value>> entrySet() {
      return map.entrySet();
    }

    /** The value at {@code key}, or null when absent or written as null. */
    public @Nullable Value opt(String key) {
      Value v = map.get(key);
      return v == null || v.isNull() ? null : v;
    }

    public Value req(String key) {
      Value v = opt(key);
      if (v == null) {
        throw owner.error("missing required key '" + key + "'");
      }
      return v;
    }

    public @Nullable String str(String key) {
      Value v = opt(key);
      return v == null ? null : v.string();
    }

    public String str(String key, String dflt) {
      Value v = opt(key);
      return v == null ? dflt : v.string();
    }

    public int integer(String key, long min, long max, int dflt) {
      Value v = opt(key);
      return v == null ? dflt : v.integer(min, max);
    }

    public @Nullable Integer integer(String key, long min, long max) {
      Value v = opt(key);
      return v == null ? null : v.integer(min, max);
    }

    public boolean bool(String key, boolean dflt) {
      Value v = opt(key);
      return v == null ? dflt : v.bool();
    }

    public java.time.Duration duration(String key, java.time.Duration dflt) {
      Value v = opt(key);
      return v == null ? dflt : v.duration();
    }

    public List<String> strings(String key) {
      Value v = opt(key);
      return v == null ? List.of() : v.strings();
    }
  }
}
