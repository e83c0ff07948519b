import type { Metadata } from "next";

import { type AttributeChoices, RuleEditor } from "@/components/staff/rule-editor";
import { RulesTable } from "@/components/staff/rules-table";
import { StaffBar } from "@/components/staff/staff-bar";
import { listCatalog } from "@/lib/api/admin";
import { listRules } from "@/lib/api/rules";
import { requireStaff } from "@/lib/staff";

export const metadata: Metadata = { title: "Merchandising" };

export default async function MerchandisingPage() {
  const staff = await requireStaff("/merchandising");
  const [{ rules }, catalog] = await Promise.all([
    listRules(staff.key),
    listCatalog({ limit: 1 }, staff.key),
  ]);
  const values = (facet: string) =>
    (catalog.facets[facet] ?? []).map((f) => f.value).sort((a, b) => a.localeCompare(b));
  const choices: AttributeChoices = {
    product_type_name: values("category"),
    product_group_name: values("product_group"),
    colour_group_name: values("colour"),
    index_group_name: values("index_group"),
  };
  return (
    <div className="mx-auto max-w-screen-2xl px-4 pt-8 pb-16 sm:px-6 lg:px-10">
      <StaffBar staff={staff} current="merchandising" />
      <h1 className="text-3xl font-semibold tracking-tight">Merchandising</h1>
      <p className="mt-2 max-w-3xl text-sm text-stone-700">
        Rules steer the shop&apos;s lists after the ranker: hide or filter, then boost or bury, then
        pins. Preview a rule on the list it targets before you save it; every API process applies a
        saved rule within a second, and each item a rule moves says so.
      </p>
      <section aria-labelledby="rules-heading" className="mt-8">
        <h2 id="rules-heading" className="text-lg font-semibold">
          Rules
        </h2>
        <div className="mt-3">
          <RulesTable rules={rules} />
        </div>
      </section>
      <section aria-labelledby="editor-heading" className="mt-10">
        <h2 id="editor-heading" className="mb-4 text-lg font-semibold">
          New rule
        </h2>
        <RuleEditor choices={choices} />
      </section>
    </div>
  );
}
