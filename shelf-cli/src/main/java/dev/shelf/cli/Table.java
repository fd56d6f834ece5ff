package dev.shelf.cli;

import java.util.List;

/** Prints rows as an aligned text table; the first row is the header. */
public final class Table {
  private Table() {}

  public static void print(List<List<String>> rows) {
    if (rows.isEmpty()) {
      return;
    }
    int cols = rows.getFirst().size();
    int[] width = new int[cols];
    for (List<String> r : rows) {
      for (int i = 0; i < cols; i++) {
        width[i] = Math.max(width[i], r.get(i).codePointCount(0, r.get(i).length()));
      }
    }
    var sb = new StringBuilder();
    for (List<String> r : rows) {
      for (int i = 0; i < cols; i++) {
        String cell = r.get(i);
        sb.append(cell);
        if (i < cols - 1) {
          sb.append(" ".repeat(width[i] - cell.codePointCount(0, cell.length()) + 2));
        }
      }
      sb.append('\n');
    }
    System.out.print(sb);
  }
}
