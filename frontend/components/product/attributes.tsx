import type { Article } from "@/lib/api/types";

/** The article's catalog attributes, named for a shopper. */
export function Attributes({ article }: { article: Article }) {
  const rows: [string, string][] = [
    ["Category", article.product_type_name],
    ["Product group", article.product_group_name],
    ["Pattern", article.graphical_appearance_name],
    [
      "Colour tone",
      `${article.perceived_colour_value_name} ${article.perceived_colour_master_name}`,
    ],
    ["Department", article.department_name],
    ["Collection", `${article.index_name} · ${article.section_name}`],
    ["Garment group", article.garment_group_name],
    ["Article number", article.article_id],
  ];
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm" data-testid="attributes">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-stone-600">{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
