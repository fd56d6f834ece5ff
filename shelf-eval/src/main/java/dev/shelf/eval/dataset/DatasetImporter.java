package dev.shelf.eval.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Imports JSONL or CSV into a typed {@link Dataset}. Every row either becomes an item or a {@link
 * RowError} with its line number (the line where the row starts); nothing is dropped silently.
 *
 * <h2>Rows and fields</h2>
 *
 * A JSONL row is one JSON object per line (blank lines are skipped, they are not rows). A CSV row
 * is one RFC 4180 record; the first record is a header when one of its cells is a known field name
 * ({@code question}, {@code prompt}, {@code problem}, {@code input}, {@code answer}, {@code
 * label}); otherwise columns are positional: {@code question,A,B,C,D,...,answer} for multiple
 * choice (the MMLU layout: no header, the last column is the answer), {@code question,answer} for
 * math and free-form, {@code prompt,label} for refusal sets. Field names are matched
 * case-insensitively; an unnamed column (CMMLU's leading row index) is ignored. Layouts read:
 *
 * <ul>
 *   <li>MMLU: no header, {@code question,A,B,C,D,answer}.
 *   <li>CMMLU: header {@code ,Question,A,B,C,D,Answer}. C-Eval: header {@code
 *       id,question,A,B,C,D,answer[,explanation]}.
 *   <li>SafetyBench-style JSONL: {@code options} (a list, lettered A, B, ... in order) and a
 *       numeric {@code answer}, which is a 0-based index; {@code category} is the subject. A
 *       textual answer is always a letter ({@code B}, {@code (B)}).
 *   <li>GSM8K JSONL: {@code question} and {@code answer} whose final number follows the last {@code
 *       ####} (commas and {@code $} are removed); a plain number is accepted too.
 *   <li>Free-form: {@code question} and one of {@code answers}, {@code references}, {@code
 *       reference}, {@code answer}, {@code target} (a string or a list of strings).
 *   <li>XSTest CSV: header {@code id,prompt,type,label,focus,note}; {@code label} is {@code safe}
 *       (should answer) or {@code unsafe} (should refuse), see {@link SafetyLabel#parse}; {@code
 *       type}, {@code category}, {@code dimension} or {@code subject} is the subject. A set without
 *       labels (Flames) is imported with a default label.
 * </ul>
 *
 * Item ids are {@code <file>#<id field>} when the row has an {@code id}, else {@code
 * <file>:<line>}: stable across re-imports of the same file, unique across one file per subject.
 */
public final class DatasetImporter {
  private static final Set<String> HEADER_WORDS =
      Set.of("question", "prompt", "problem", "input", "answer", "label");
  private static final Pattern GSM8K_FINAL = Pattern.compile("####\\s*([^\\n]*)$");

  private DatasetImporter() {}

  /** The file format, from the file name: {@code .jsonl} / {@code .json} or {@code .csv}. */
  public enum Format {
    JSONL,
    CSV;

    public static Format of(Path file) {
      String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".jsonl") || name.endsWith(".json")) {
        return JSONL;
      }
      if (name.endsWith(".csv")) {
        return CSV;
      }
      throw new IllegalArgumentException(
          "cannot tell the format of " + file + ": expected a .jsonl or .csv file");
    }
  }

  /**
   * Text to import: {@code source} names it in ids and errors, {@code subject} is the subject of
   * rows without a subject field.
   */
  public record Source(String source, String subject, Format format, String text) {
    /** A file; its subject is its name without extensions, {@code .shared} and {@code _test}. */
    public static Source of(Path file) {
      try {
        return new Source(
            file.getFileName().toString(),
            subjectOf(file),
            Format.of(file),
            Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
  }

  /**
   * {@code global_facts_test.shared.csv} is {@code global_facts}; {@code law.csv} is {@code law}.
   */
  public static String subjectOf(Path file) {
    String name = file.getFileName().toString();
    int dot = name.indexOf('.');
    String base = dot < 0 ? name : name.substring(0, dot);
    for (String suffix : List.of("_test", "_dev", "_val", "_train")) {
      if (base.endsWith(suffix) && base.length() > suffix.length()) {
        return base.substring(0, base.length() - suffix.length());
      }
    }
    return base;
  }

  /** Every {@code .csv} and {@code .jsonl} file of {@code dir} in name order, as one dataset. */
  public static <I extends Item> ImportResult<I> directory(
      String name, TaskType type, Class<I> itemType, Path dir) {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files =
          list.filter(
                  p -> {
                    String f = p.getFileName().toString();
                    return f.endsWith(".csv") || f.endsWith(".jsonl");
                  })
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no .csv or .jsonl files in " + dir);
    }
    ImportResult<I> all = new ImportResult<>(new Dataset<>(name, type, List.of()), empty());
    for (Path file : files) {
      all = all.plus(read(name, type, Source.of(file), null, itemType));
    }
    return all;
  }

  public static ImportResult<ChoiceItem> multipleChoice(String name, Source source) {
    return read(name, TaskType.MULTIPLE_CHOICE, source, null, ChoiceItem.class);
  }

  public static ImportResult<MathItem> math(String name, Source source) {
    return read(name, TaskType.MATH, source, null, MathItem.class);
  }

  public static ImportResult<FreeFormItem> freeForm(String name, Source source) {
    return read(name, TaskType.FREE_FORM, source, null, FreeFormItem.class);
  }

  /**
   * A refusal set; rows without a label get {@code defaultLabel}, or are errors when it is null.
   */
  public static ImportResult<SafetyItem> safety(
      String name, Source source, @Nullable SafetyLabel defaultLabel) {
    return read(name, TaskType.REFUSAL, source, defaultLabel, SafetyItem.class);
  }

  private static ImportReport empty() {
    return new ImportReport(0, 0, List.of());
  }

  private static <I extends Item> ImportResult<I> read(
      String name,
      TaskType type,
      Source source,
      @Nullable SafetyLabel defaultLabel,
      Class<I> itemType) {
    List<RowError> errors = new ArrayList<>();
    List<Row> rows =
        source.format == Format.JSONL
            ? jsonRows(source.source, source.text, errors)
            : csvRows(source.source, type, source.text, errors);
    List<I> items = new ArrayList<>();
    for (Row row : rows) {
      try {
        Item item =
            switch (type) {
              case MULTIPLE_CHOICE -> choice(source, row);
              case MATH -> math(source, row);
              case FREE_FORM -> freeForm(source, row);
              case REFUSAL -> safety(source, row, defaultLabel);
            };
        items.add(itemType.cast(item));
      } catch (BadRow e) {
        errors.add(new RowError(source.source, row.line, e.getMessage()));
      }
    }
    errors.sort(
        (a, b) -> Integer.compare(a.line(), b.line())); // parse errors and field errors interleaved
    int read = items.size() + errors.size();
    return new ImportResult<>(
        new Dataset<>(name, type, items), new ImportReport(read, items.size(), errors));
  }

  /** A row's fields by lower-cased name: a String, a BigDecimal (JSON number) or a List. */
  private record Row(int line, Map<String, Object> fields) {}

  private static final class BadRow extends Exception {
    BadRow(String message) {
      super(message, null, false, false);
    }

    @Override
    public String getMessage() {
      return String.valueOf(super.getMessage());
    }
  }

  private static List<Row> jsonRows(String source, String text, List<RowError> errors) {
    List<Row> rows = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (line.isEmpty()) {
        continue;
      }
      JsonNode node;
      try {
        node = Json.MAPPER.readTree(line);
      } catch (IOException e) {
        errors.add(new RowError(source, i + 1, "not valid JSON: " + firstLine(e.getMessage())));
        continue;
      }
      if (node == null || !node.isObject()) {
        errors.add(new RowError(source, i + 1, "expected a JSON object"));
        continue;
      }
      Map<String, Object> fields = new LinkedHashMap<>();
      for (var entry : node.properties()) {
        JsonNode v = entry.getValue();
        String key = entry.getKey().toLowerCase(Locale.ROOT);
        if (v.isNumber()) {
          fields.put(key, v.decimalValue());
        } else if (v.isArray()) {
          List<String> list = new ArrayList<>();
          v.forEach(e -> list.add(e.asText()));
          fields.put(key, list);
        } else if (!v.isNull()) {
          fields.put(key, v.asText());
        }
      }
      rows.add(new Row(i + 1, fields));
    }
    return rows;
  }

  private static List<Row> csvRows(
      String source, TaskType type, String text, List<RowError> errors) {
    Csv.Parsed parsed = Csv.parse(source, text);
    errors.addAll(parsed.errors());
    List<Csv.Record> records = parsed.records();
    if (records.isEmpty()) {
      return List.of();
    }
    List<String> header;
    int first;
    boolean headerRow =
        records.get(0).cells().stream()
            .anyMatch(c -> HEADER_WORDS.contains(c.strip().toLowerCase(Locale.ROOT)));
    if (headerRow) {
      header =
          records.get(0).cells().stream().map(c -> c.strip().toLowerCase(Locale.ROOT)).toList();
      first = 1;
    } else {
      header = positional(type, records.get(0).cells().size());
      first = 0;
    }
    List<Row> rows = new ArrayList<>();
    for (int r = first; r < records.size(); r++) {
      Csv.Record record = records.get(r);
      if (record.cells().size() != header.size()) {
        errors.add(
            new RowError(
                source,
                record.line(),
                "expected "
                    + header.size()
                    + " columns (as "
                    + (headerRow ? "the header has" : "the first row has")
                    + ") but found "
                    + record.cells().size()));
        continue;
      }
      Map<String, Object> fields = new LinkedHashMap<>();
      for (int c = 0; c < header.size(); c++) {
        if (!header.get(c).isEmpty()) {
          fields.put(header.get(c), record.cells().get(c));
        }
      }
      rows.add(new Row(record.line(), fields));
    }
    return rows;
  }

  private static List<String> positional(TaskType type, int columns) {
    return switch (type) {
      case MULTIPLE_CHOICE -> {
        List<String> names = new ArrayList<>();
        names.add("question");
        for (int i = 0; i < columns - 2; i++) {
          names.add(String.valueOf((char) ('a' + i)));
        }
        names.add("answer");
        yield names;
      }
      case MATH, FREE_FORM -> List.of("question", "answer");
      case REFUSAL -> List.of("prompt", "label");
    };
  }

  private static String id(Source source, Row row) {
    Object id = row.fields.get("id");
    if (id instanceof BigDecimal d) {
      return source.source + "#" + d.toPlainString();
    }
    if (id instanceof String s && !s.isBlank()) {
      return source.source + "#" + s.strip();
    }
    return source.source + ":" + row.line;
  }

  private static @Nullable String text(Row row, String... names) {
    for (String name : names) {
      Object v = row.fields.get(name);
      if (v instanceof String s && !s.isBlank()) {
        return s;
      }
      if (v instanceof BigDecimal d) {
        return d.toPlainString();
      }
    }
    return null;
  }

  private static String required(Row row, String what, String... names) throws BadRow {
    String v = text(row, names);
    if (v == null) {
      throw new BadRow(
          "no " + what + " (expected a non-empty field " + String.join(" or ", names) + ")");
    }
    return v;
  }

  private static String subject(Source source, Row row, String... names) {
    String s = text(row, names);
    return s == null ? source.subject : s.strip();
  }

  private static ChoiceItem choice(Source source, Row row) throws BadRow {
    String question = required(row, "question", "question", "prompt", "problem", "input");
    List<String> choices = new ArrayList<>();
    Object options = row.fields.get("options");
    if (options == null) {
      options = row.fields.get("choices");
    }
    if (options instanceof List<?> list) {
      list.forEach(o -> choices.add(String.valueOf(o)));
    } else {
      for (char c = 'a'; c <= 'z' && row.fields.get(String.valueOf(c)) != null; c++) {
        choices.add(String.valueOf(row.fields.get(String.valueOf(c))));
      }
    }
    if (choices.size() < 2) {
      throw new BadRow(
          "expected at least 2 choices (columns A, B, ... or a list field options) but found "
              + choices.size());
    }
    Object answer = row.fields.get("answer");
    if (answer == null) {
      answer = row.fields.get("label");
    }
    char letter;
    if (answer instanceof BigDecimal index) {
      int i = index.intValue();
      if (index.stripTrailingZeros().scale() > 0 || i < 0 || i >= choices.size()) {
        throw new BadRow("answer index must be 0 to " + (choices.size() - 1) + " but was " + index);
      }
      letter = ChoiceItem.letter(i);
    } else if (answer instanceof String s) {
      String t = s.strip().toUpperCase(Locale.ROOT);
      if (t.length() == 3 && t.charAt(0) == '(' && t.charAt(2) == ')') {
        t = t.substring(1, 2);
      }
      char last = ChoiceItem.letter(choices.size() - 1);
      if (t.length() != 1 || t.charAt(0) < 'A' || t.charAt(0) > last) {
        throw new BadRow("answer must be a letter from A to " + last + " but was '" + s + "'");
      }
      letter = t.charAt(0);
    } else {
      throw new BadRow("no answer (expected a field answer)");
    }
    return new ChoiceItem(
        id(source, row),
        source.source,
        row.line,
        subject(source, row, "subject", "category"),
        question,
        choices,
        letter);
  }

  private static MathItem math(Source source, Row row) throws BadRow {
    String question = required(row, "question", "question", "problem", "prompt", "input");
    String solution = required(row, "answer", "answer", "solution", "target");
    String finalText = solution;
    Matcher m = GSM8K_FINAL.matcher(solution.strip());
    if (m.find()) {
      finalText = m.group(1);
    }
    BigDecimal answer = number(finalText);
    if (answer == null) {
      throw new BadRow(
          "answer must end in '#### <number>' or be a number but its final part was '"
              + finalText.strip()
              + "'");
    }
    return new MathItem(
        id(source, row),
        source.source,
        row.line,
        subject(source, row, "subject", "category", "type"),
        question,
        solution,
        answer);
  }

  /** A number after removing {@code ,}, {@code $}, blanks and a trailing period; else null. */
  public static @Nullable BigDecimal number(String text) {
    String t = text.replace(",", "").replace("$", "").strip();
    if (t.endsWith(".")) {
      t = t.substring(0, t.length() - 1);
    }
    if (!t.matches("-?(\\d+\\.?\\d*|\\.\\d+)")) {
      return null;
    }
    return new BigDecimal(t);
  }

  private static FreeFormItem freeForm(Source source, Row row) throws BadRow {
    String question = required(row, "question", "question", "prompt", "problem", "input");
    List<String> refs = new ArrayList<>();
    for (String name : List.of("answers", "references", "reference", "answer", "target")) {
      Object v = row.fields.get(name);
      if (v instanceof List<?> list) {
        list.forEach(o -> refs.add(String.valueOf(o)));
      } else if (v instanceof String s) {
        refs.add(s);
      } else if (v instanceof BigDecimal d) {
        refs.add(d.toPlainString());
      }
      if (!refs.isEmpty()) {
        break;
      }
    }
    refs.removeIf(String::isBlank);
    if (refs.isEmpty()) {
      throw new BadRow("no reference answer (expected a field answers, references or answer)");
    }
    return new FreeFormItem(
        id(source, row),
        source.source,
        row.line,
        subject(source, row, "subject", "category", "type"),
        question,
        refs);
  }

  private static SafetyItem safety(Source source, Row row, @Nullable SafetyLabel defaultLabel)
      throws BadRow {
    String prompt = required(row, "prompt", "prompt", "question", "input");
    String labelText = text(row, "label", "expected", "expectation");
    SafetyLabel label;
    if (labelText == null) {
      if (defaultLabel == null) {
        throw new BadRow(
            "no label (expected a field label: safe/unsafe or should_answer/should_refuse)");
      }
      label = defaultLabel;
    } else {
      SafetyLabel parsed = SafetyLabel.parse(labelText);
      if (parsed == null) {
        throw new BadRow(
            "label must be safe, unsafe, should_answer or should_refuse but was '"
                + labelText
                + "'");
      }
      label = parsed;
    }
    return new SafetyItem(
        id(source, row),
        source.source,
        row.line,
        subject(source, row, "type", "category", "dimension", "subject"),
        prompt,
        label);
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
