package dev.shelf.guard.injection;

import dev.shelf.guard.text.TextNormalizer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scores input for prompt injection and jailbreak attempts with weighted signals.
 *
 * <p>Each {@link InjectionSignal} is a pattern with a weight read as "the chance, on its own, that
 * the input is an attack"; signals combine as independent evidence (noisy-OR): {@code score = 1 -
 * Π(1 - weight)}, so one strong signal or several weak ones reach the threshold and the score stays
 * in [0, 1]. Built-in signals cover instruction overrides, DAN-style role play, system-prompt
 * extraction, role and delimiter spoofing, requests to drop safety rules, and encoded payloads, in
 * English and Chinese (traditional folds to simplified first). Long base64 or hex runs that decode
 * to text are scored again, decoded: an encoded instruction override is a signal of its own.
 *
 * <p>This is a heuristic, not a classifier: it catches the common, copy-pasted attacks cheaply and
 * says which signal fired, so that a policy can flag or block and an admin can read why.
 * Paraphrased attacks need the moderation-model hook (not written yet). Thread-safe and immutable.
 */
public final class InjectionScorer {
  /** The default threshold: one strong signal, or two medium ones. */
  public static final double DEFAULT_THRESHOLD = 0.5;

  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{40,}={0,2}");
  private static final Pattern HEX = Pattern.compile("\\b(?:[0-9a-fA-F]{2}){24,}\\b");
  private static final int MAX_EXCERPT = 80;

  private static final List<InjectionSignal> STANDARD =
      List.of(
          InjectionSignal.of(
              "ignore_instructions",
              0.7,
              "\\b(ignore|disregard|forget|override|bypass|skip)\\b.{0,30}?\\b(previous|prior|above|"
                  + "earlier|preceding|all|any|your|the|system|initial|original)\\b.{0,20}?\\b("
                  + "instructions?|prompts?|rules|directions|guidelines|context|messages?|"
                  + "constraints)\\b"
                  + "|(忽略|无视|忘记|忘掉|不要理会|不要遵守|跳过|覆盖)[^。！？\\n]{0,12}?"
                  + "(指令|指示|规则|提示|设定|要求|约束|限制)"),
          InjectionSignal.of(
              "roleplay_jailbreak",
              0.6,
              "\\b(you are|you're|act as|be|pretend to be|become)( now)? dan\\b|\\bdan mode\\b"
                  + "|do anything now|\\bjailbr(eak|oken)|\\bdev(eloper)? mode\\b"
                  + "|\\b(pretend|act|roleplay|role-play|behave|imagine)\\b.{0,40}?\\b(no|without|"
                  + "free from|not bound by)\\b.{0,20}?\\b(restrictions?|limits|limitations|filters?|"
                  + "rules|guidelines|censorship|ethics)\\b"
                  + "|\\b(unfiltered|uncensored|unrestricted)\\b.{0,20}?\\b(ai|assistant|model|mode|"
                  + "version|chatbot)\\b"
                  + "|(扮演|假装|假设你是|你现在是|你将扮演).{0,20}?(没有|不受|无|摆脱|不用遵守)"
                  + "(任何)?.{0,6}?(限制|约束|规则|审查|过滤|道德)|越狱|开发者模式"
                  + "|(不受限制|无限制|无审查)的(ai|模型|助手|机器人)"),
          InjectionSignal.of(
              "system_prompt_extraction",
              0.55,
              "\\b(reveal|show|print|repeat|output|display|leak|tell me|give me|what (is|are|was|"
                  + "were)|write out|copy)\\b.{0,40}?(system prompt|system message|initial (prompt|"
                  + "instructions)|hidden (prompt|instructions)|(your|the) (instructions|prompt|"
                  + "rules) (above|you were given)|developer (prompt|message)|everything above|"
                  + "(text|words) above)"
                  + "|(输出|显示|告诉我|重复|打印|泄露|透露|给我看|原样)[^。！？\\n]{0,20}?"
                  + "(系统提示|系统指令|系统消息|初始指令|原始指令|隐藏指令|你的指令|你的设定|"
                  + "上面的内容|以上内容|prompt)"),
          InjectionSignal.of(
              "role_override",
              0.35,
              "\\b(new|updated|real|actual) (instructions|rules|task) ?:|\\bfrom now on,? you "
                  + "(are|will|must|should)\\b|\\byou are no longer\\b|\\byour new (role|task|"
                  + "instructions)\\b|<\\|im_start\\|>|<\\|system\\|>|\\[/?inst\\]"
                  + "|###? ?(system|instruction)|(^|\\n) ?system ?:"
                  + "|从现在(开始|起)[，,]?你(是|将|必须|要)|新的(指令|规则|任务)[:：]|你不再是"
                  + "|你的新(角色|任务)"),
          InjectionSignal.of(
              "safety_override",
              0.45,
              "\\b(no|without|ignore|disable|bypass|turn off)\\b.{0,15}?\\b(ethical|moral|safety|"
                  + "content) (guidelines|constraints|filters?|restrictions|policies|rules)\\b"
                  + "|\\bnot bound by\\b|\\bstay in character\\b"
                  + "|(不受|无视|忽略|关闭|绕过)(任何)?(道德|伦理|安全|内容)(约束|限制|准则|规范|过滤|审查)"),
          InjectionSignal.of(
              "decode_and_follow",
              0.3,
              "\\b(decode|base64|rot13|hex)\\b.{0,40}?\\b(execute|follow|obey|run|do what it says|"
                  + "carry out)\\b|(解码|base64).{0,20}?(执行|照做|遵循|按照)"));

  private final List<InjectionSignal> signals;
  private final double threshold;
  private final TextNormalizer normalizer = TextNormalizer.standard();

  public InjectionScorer(List<InjectionSignal> signals, double threshold) {
    if (!(threshold > 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be in (0, 1] but was " + threshold);
    }
    this.signals = List.copyOf(signals);
    this.threshold = threshold;
  }

  /** The built-in signals with {@link #DEFAULT_THRESHOLD}. */
  public static InjectionScorer standard() {
    return new InjectionScorer(STANDARD, DEFAULT_THRESHOLD);
  }

  /** The built-in signals, for extending. */
  public static List<InjectionSignal> standardSignals() {
    return STANDARD;
  }

  /** The same signals with another threshold. */
  public InjectionScorer withThreshold(double threshold) {
    return new InjectionScorer(signals, threshold);
  }

  /** Scores one input (for a chat request: the user and tool messages, concatenated). */
  public InjectionVerdict score(String text) {
    List<InjectionVerdict.Hit> hits = new ArrayList<>();
    String folded = fold(text);
    collect(folded, hits);
    long invisible =
        text.codePoints().filter(c -> Character.getType(c) == Character.FORMAT).count();
    if (invisible >= 3) {
      hits.add(new InjectionVerdict.Hit("invisible_characters", 0.15, invisible + " characters"));
    }
    for (String decoded : decodedPayloads(text)) {
      List<InjectionVerdict.Hit> inner = new ArrayList<>();
      collect(fold(decoded), inner);
      if (!inner.isEmpty()) {
        addOnce(hits, new InjectionVerdict.Hit("encoded_instructions", 0.6, excerpt(decoded)));
      } else {
        addOnce(hits, new InjectionVerdict.Hit("encoded_payload", 0.35, excerpt(decoded)));
      }
    }
    hits.sort(Comparator.comparingDouble(InjectionVerdict.Hit::weight).reversed());
    double keep = 1;
    for (InjectionVerdict.Hit hit : hits) {
      keep *= 1 - hit.weight();
    }
    return new InjectionVerdict(1 - keep, threshold, hits);
  }

  private void collect(String folded, List<InjectionVerdict.Hit> hits) {
    for (InjectionSignal signal : signals) {
      Matcher m = signal.pattern().matcher(folded);
      if (m.find()) {
        hits.add(new InjectionVerdict.Hit(signal.id(), signal.weight(), excerpt(m.group())));
      }
    }
  }

  private static void addOnce(List<InjectionVerdict.Hit> hits, InjectionVerdict.Hit hit) {
    if (hits.stream().noneMatch(h -> h.signal().equals(hit.signal()))) {
      hits.add(hit);
    }
  }

  /** Long base64 or hex runs that decode to mostly printable UTF-8 text. */
  static List<String> decodedPayloads(String text) {
    List<String> decoded = new ArrayList<>();
    for (Matcher m = BASE64.matcher(text); m.find(); ) {
      String run = m.group();
      try {
        String candidate = utf8(Base64.getDecoder().decode(run.substring(0, run.length() / 4 * 4)));
        if (candidate != null) {
          decoded.add(candidate);
        }
      } catch (IllegalArgumentException e) {
        // not base64 after all
      }
    }
    for (Matcher m = HEX.matcher(text); m.find(); ) {
      String candidate = utf8(HexFormat.of().parseHex(m.group()));
      if (candidate != null) {
        decoded.add(candidate);
      }
    }
    return decoded;
  }

  private static @org.jspecify.annotations.Nullable String utf8(byte[] bytes) {
    String s;
    try {
      s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    long printable =
        s.codePoints().filter(c -> !Character.isISOControl(c) || Character.isWhitespace(c)).count();
    return s.length() >= 16 && printable >= 0.9 * s.codePointCount(0, s.length()) ? s : null;
  }

  /**
   * NFKC, lower case and simplified Chinese through {@link TextNormalizer}, but keeping word
   * structure: zero-width characters vanish, white space runs become one space, punctuation stays
   * (width-folded).
   */
  private String fold(String text) {
    StringBuilder out = new StringBuilder(text.length());
    boolean space = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      int type = Character.getType(cp);
      if (type == Character.FORMAT || type == Character.NON_SPACING_MARK) {
        continue;
      }
      if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        if (!space && !out.isEmpty()) {
          out.append(cp == '\n' ? '\n' : ' ');
        }
        space = true;
        continue;
      }
      space = false;
      String f = normalizer.fold(cp);
      out.append(
          f.isEmpty()
              ? Normalizer.normalize(Character.toString(cp), Normalizer.Form.NFKC)
                  .toLowerCase(Locale.ROOT)
              : f);
    }
    return out.toString();
  }

  private static String excerpt(String s) {
    return s.length() <= MAX_EXCERPT ? s : s.substring(0, MAX_EXCERPT) + "…";
  }
}
