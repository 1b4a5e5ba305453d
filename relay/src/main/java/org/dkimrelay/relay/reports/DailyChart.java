package org.dkimrelay.relay.reports;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The daily DMARC-pass share of each domain as an SVG line chart, with the threshold the next stage
 * needs as a dashed line: what people would rather look at than read.
 */
public final class DailyChart {
  private static final int WIDTH = 720;
  private static final int HEIGHT = 320;
  private static final int LEFT = 56;
  private static final int RIGHT = 170;
  private static final int TOP = 24;
  private static final int BOTTOM = 40;
  private static final String[] COLOURS = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"
  };

  private DailyChart() {}

  public static String svg(List<ReportSummary.Domain> domains, double threshold) {
    LocalDate first =
        domains.stream()
            .flatMap(d -> d.daily().keySet().stream())
            .min(LocalDate::compareTo)
            .orElse(LocalDate.EPOCH);
    LocalDate last =
        domains.stream()
            .flatMap(d -> d.daily().keySet().stream())
            .max(LocalDate::compareTo)
            .orElse(first);
    long span = Math.max(1, ChronoUnit.DAYS.between(first, last));
    int plotWidth = WIDTH - LEFT - RIGHT;
    int plotHeight = HEIGHT - TOP - BOTTOM;
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH,
            HEIGHT,
            WIDTH,
            HEIGHT));
    svg.append("<title>Daily share of mail passing DMARC aligned</title>\n");
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    for (int percent = 0; percent <= 100; percent += 25) {
      double y = TOP + plotHeight * (1 - percent / 100.0);
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d %%</text>%n",
              LEFT,
              y,
              LEFT + plotWidth,
              y,
              LEFT - 6,
              y + 4,
              percent));
    }
    double thresholdY = TOP + plotHeight * (1 - threshold / 100.0);
    svg.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\""
                + " stroke-dasharray=\"4 4\"/><text x=\"%d\" y=\"%.1f\">next stage: %s</text>%n",
            LEFT,
            thresholdY,
            LEFT + plotWidth,
            thresholdY,
            LEFT + plotWidth + 6,
            thresholdY + 4,
            RolloutVerdict.percent(threshold)));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
            LEFT,
            HEIGHT - 14,
            first,
            LEFT + plotWidth,
            HEIGHT - 14,
            last));
    for (int i = 0; i < domains.size(); i++) {
      ReportSummary.Domain domain = domains.get(i);
      String colour = COLOURS[i % COLOURS.length];
      StringBuilder points = new StringBuilder();
      for (Map.Entry<LocalDate, long[]> day : domain.daily().entrySet()) {
        double x = LEFT + plotWidth * ChronoUnit.DAYS.between(first, day.getKey()) / (double) span;
        double share = RolloutVerdict.share(day.getValue()[1], day.getValue()[0]);
        double y = TOP + plotHeight * (1 - share / 100.0);
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      svg.append("<polyline fill=\"none\" stroke=\"")
          .append(colour)
          .append("\" stroke-width=\"2\" points=\"")
          .append(points.toString().strip())
          .append("\"><title>")
          .append(escape(domain.name()))
          .append("</title></polyline>\n");
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n",
              LEFT + plotWidth + 6,
              TOP + 14 + 16 * i,
              colour,
              escape(domain.name())));
    }
    return svg.append("</svg>\n").toString();
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
