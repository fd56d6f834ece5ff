package dev.shelf.guard.keyword;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeywordGuardTest {
  @TempDir Path dir;

  @Test
  void loadsFilesWithCategoriesAndComments() throws Exception {
    Path file = dir.resolve("gambling.txt");
    Files.writeString(file, "\uFEFF# a comment: with a colon\n赌博\n\n  online casino  \n# 六合彩\n");
    Path other = dir.resolve("misc.txt");
    Files.writeString(other, "# category: drugs\n# word-boundaries: off\nmeth\n");
    KeywordLibrary gambling = KeywordLibrary.load(file);
    assertThat(gambling.category()).isEqualTo("gambling");
    assertThat(gambling.terms()).containsExactly("赌博", "online casino");
    KeywordLibrary drugs = KeywordLibrary.load(other);
    assertThat(drugs.category()).isEqualTo("drugs");
    assertThat(drugs.wordBoundaries()).isFalse();

    KeywordMatcher m = KeywordMatcher.compile(List.of(gambling, drugs));
    assertThat(m.findAll("methane 六合彩"))
        .containsExactly(new KeywordMatch("meth", "drugs", 0, 4)); // boundaries off; # is a comment
  }

  @Test
  void badOptionsNameFileAndLine() throws Exception {
    Path file = dir.resolve("x.txt");
    Files.writeString(file, "a\n# word-boundaries: maybe\n");
    assertThatThrownBy(() -> KeywordLibrary.load(file))
        .hasMessage(file + ":2: word-boundaries must be on or off but was 'maybe'");
  }

  @Test
  void reloadsADirectoryAndKeepsTheOldMatcherOnFailure() throws Exception {
    Path file = dir.resolve("a.txt");
    Files.writeString(file, "赌博\n");
    KeywordGuard guard = KeywordGuard.load(List.of(dir));
    KeywordMatcher first = guard.matcher();
    assertThat(first.matches("赌博")).isTrue();
    assertThat(guard.reloadIfChanged()).isFalse();

    Files.writeString(dir.resolve("b.txt"), "# category: drugs\n毒品\n", StandardCharsets.UTF_8);
    assertThat(guard.reloadIfChanged()).isTrue();
    assertThat(guard.matcher()).isNotSameAs(first);
    assertThat(guard.matcher().findAll("毒品")).extracting(KeywordMatch::category).contains("drugs");
    assertThat(first.matches("毒品")).isFalse(); // a compiled matcher never changes

    Files.writeString(file, "赌博\n???\n");
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    KeywordMatcher before = guard.matcher();
    assertThatThrownBy(guard::reloadIfChanged).hasMessageContaining("term '???'");
    assertThat(guard.matcher()).isSameAs(before);
  }
}
