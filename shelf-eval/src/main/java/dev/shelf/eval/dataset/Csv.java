package dev.shelf.eval.dataset;

import java.util.ArrayList;
import java.util.List;

/**
 * An RFC 4180 CSV reader that remembers the line each record starts on: fields separated by commas,
 * optionally quoted with {@code "}, a doubled {@code ""} inside quotes is one quote, and quoted
 * fields may hold commas and line breaks (LF or CRLF). Lenient where Python's {@code csv} is: a
 * quote inside an unquoted field is literal, and text after a closing quote is appended. A line
 * with no characters is not a record. An unterminated quoted field is an error at the line where
 * its record starts (the rest of the file is inside it, so nothing after is read).
 */
final class Csv {
  private Csv() {}

  record Record(int line, List<String> cells) {}

  record Parsed(List<Record> records, List<RowError> errors) {}

  static Parsed parse(String source, String text) {
    List<Record> records = new ArrayList<>();
    List<RowError> errors = new ArrayList<>();
    int pos = text.startsWith("\uFEFF") ? 1 : 0;
    int line = 1;
    int n = text.length();
    while (pos < n) {
      int startLine = line;
      List<String> cells = new ArrayList<>();
      StringBuilder cell = new StringBuilder();
      boolean quoted = false;
      boolean inQuotes = false;
      boolean endOfRecord = false;
      while (pos < n && !endOfRecord) {
        char c = text.charAt(pos++);
        if (inQuotes) {
          if (c == '"') {
            if (pos < n && text.charAt(pos) == '"') {
              cell.append('"');
              pos++;
            } else {
              inQuotes = false;
            }
          } else {
            if (c == '\n') {
              line++;
            }
            cell.append(c);
          }
          continue;
        }
        switch (c) {
          case ',' -> {
            cells.add(cell.toString());
            cell.setLength(0);
            quoted = false;
          }
          case '"' -> {
            if (cell.isEmpty() && !quoted) {
              quoted = true;
              inQuotes = true;
            } else {
              cell.append(c);
            }
          }
          case '\r' -> {
            if (pos < n && text.charAt(pos) == '\n') {
              pos++;
            }
            line++;
            endOfRecord = true;
          }
          case '\n' -> {
            line++;
            endOfRecord = true;
          }
          default -> cell.append(c);
        }
      }
      if (inQuotes) {
        errors.add(
            new RowError(source, startLine, "unterminated quoted field (a \" is never closed)"));
        break;
      }
      cells.add(cell.toString());
      if (cells.size() == 1 && cells.get(0).isEmpty() && !quoted) {
        continue; // an empty line
      }
      records.add(new Record(startLine, List.copyOf(cells)));
    }
    return new Parsed(records, errors);
  }
}
