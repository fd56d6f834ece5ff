package dev.shelf.providers.onnx;

import static dev.shelf.providers.onnx.OnnxTesting.dot;
import static dev.shelf.providers.onnx.OnnxTesting.embed;
import static dev.shelf.providers.onnx.OnnxTesting.request;
import static dev.shelf.providers.onnx.OnnxTesting.vectors;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Retrieval sanity: each query's nearest document (cosine; the vectors are unit length) is its
 * paraphrase, among the other queries' paraphrases and unrelated distractors.
 */
class OnnxRetrievalTest {

  @Test
  void chineseQueriesFindTheirParaphrasesWithBgeSmallZh() {
    assertNearestIsParaphrase(
        BundledModel.BGE_SMALL_ZH_V1_5,
        Map.of(
            "如何提高睡眠质量？", "怎样才能让自己晚上睡得更好？",
            "北京今天的天气怎么样？", "请告诉我北京现在的天气情况。",
            "这部手机的电池能用多久？", "这款手机充满电以后可以使用多长时间？"),
        List.of(
            "股市今天大幅下跌，许多投资者损失惨重。",
            "这家餐厅的红烧肉非常好吃。",
            "火车票可以在网上提前购买。",
            "量子计算机利用量子比特进行运算。",
            "长城是中国古代修建的防御工程。"));
  }

  @Test
  void englishQueriesFindTheirParaphrasesWithMiniLm() {
    assertNearestIsParaphrase(
        BundledModel.ALL_MINILM_L6_V2,
        Map.of(
            "How do I reset my password?",
            "I forgot my login password and need to change it.",
            "What is the capital of France?",
            "Paris is the city where the French government sits.",
            "How long does the phone battery last?",
            "How many hours can this phone run on a full charge?"),
        List.of(
            "The stock market fell sharply today.",
            "This cake recipe needs two cups of flour.",
            "The train to Boston leaves at noon.",
            "Photosynthesis converts sunlight into chemical energy.",
            "The Great Wall was built to defend against invasions."));
  }

  private static void assertNearestIsParaphrase(
      BundledModel model, Map<String, String> pairs, List<String> distractors) {
    List<String> queries = new ArrayList<>(pairs.keySet());
    List<String> docs = new ArrayList<>();
    queries.forEach(q -> docs.add(pairs.get(q)));
    docs.addAll(distractors);
    List<String> all = new ArrayList<>(queries);
    all.addAll(docs);
    float[][] v = vectors(embed(new OnnxProvider("embed", 16), request(model.id(), all)));
    for (int q = 0; q < queries.size(); q++) {
      float[] query = v[q];
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int d = 0; d < docs.size(); d++) {
        double s = dot(query, v[queries.size() + d]);
        if (s > bestScore) {
          bestScore = s;
          best = d;
        }
      }
      assertThat(docs.get(best)).as("nearest to '%s'", queries.get(q)).isEqualTo(docs.get(q));
    }
    for (float[] x : v) {
      assertThat(dot(x, x)).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
    }
  }
}
