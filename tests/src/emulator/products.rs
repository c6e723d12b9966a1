//! The product catalogue, `/firms/{firm}/products`.

use serde_json::Value;

use super::engine::{Behaviour, Draft, Resource};
use super::fields::{
    Field, Kind, MONEY, TEXT, VAT, check_rate, default, read, require_text, string, write,
};
use super::listing::{Filter, Key, ListSpec};
use super::values::NATURES;

const FIELDS: &[Field] = &[
    read("id"),
    write("ref", string(255)),
    write("title", TEXT),
    write("unit_price", MONEY),
    write("vat", VAT),
    write("measure", string(32)),
    write("sap_nature", Kind::Int),
    write("nature", Kind::Coded(NATURES)),
    write("category_id", Kind::Int),
    write("notes", TEXT),
    read("created_at"),
    read("updated_at"),
    write("field1", string(255)),
    write("field2", string(255)),
    write("field3", string(255)),
    write("field4", string(255)),
    write("field5", string(255)),
    read("soft_deleted"),
    read("hard_delete_on"),
    write("api_id", Kind::BigInt),
    write("api_custom", string(255)),
];

pub(crate) static PRODUCTS: Resource = Resource {
    name: "products",
    fields: &[FIELDS],
    list: ListSpec {
        filters: &[
            Filter::Contains("ref", "ref"),
            Filter::Contains("title", "title"),
            Filter::Id("api_id", "api_id"),
            Filter::Contains("api_custom", "api_custom"),
        ],
        orders: &[
            ("ref", Key::Field("ref")),
            ("created", Key::Field("created_at")),
            ("updated", Key::Field("updated_at")),
        ],
        default_order: (Key::Field("title"), false),
    },
    behaviour: &ProductRules,
    read_only: false,
};

struct ProductRules;

impl Behaviour for ProductRules {
    fn prepare(&self, draft: &mut Draft<'_>) {
        // "Not applicable": the nature only matters to micro-businesses.
        default(&mut draft.record, "nature", Value::from(9));
        require_text(&draft.record, "title", &mut draft.errors);
        check_rate(&draft.record, "vat", &mut draft.errors, "vat");
    }
}
