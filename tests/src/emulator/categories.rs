//! Categories (`/firms/{firm}/categories`) and followups (`/firms/{firm}/followups`): two
//! small labelled lists with the same shape, each status telling what documents they apply to.

use serde_json::Value;

use super::engine::{Behaviour, Draft, Resource};
use super::fields::{Field, Kind, default, read, require_text, string, write};
use super::listing::{Filter, Key, ListSpec};
use super::state::{Firm, Record};
use super::values::{CATEGORY_STATUSES, FOLLOWUP_STATUSES};

const CATEGORY_FIELDS: &[Field] = &[
    read("id"),
    write("title", string(255)),
    write("status", Kind::Coded(CATEGORY_STATUSES)),
    read("created_at"),
    read("updated_at"),
];

const FOLLOWUP_FIELDS: &[Field] = &[
    read("id"),
    write("title", string(255)),
    write("status", Kind::Coded(FOLLOWUP_STATUSES)),
    read("created_at"),
    read("updated_at"),
];

/// Neither list documents a sort: records come in creation order.
const LIST: ListSpec = ListSpec {
    filters: &[
        Filter::Contains("title", "title"),
        Filter::Id("status", "status"),
    ],
    orders: &[],
    default_order: (Key::Field("id"), false),
};

pub(crate) static CATEGORIES: Resource = Resource {
    name: "categories",
    fields: &[CATEGORY_FIELDS],
    list: LIST,
    behaviour: &Label {
        link: "category_id",
    },
    read_only: false,
};

/// The service also has two built-in followups, "in progress" (id 0) and "done" (id -1), usable
/// in `followup_id` but never listed, shown, changed or deleted through these routes.
pub(crate) static FOLLOWUPS: Resource = Resource {
    name: "followups",
    fields: &[FOLLOWUP_FIELDS],
    list: LIST,
    behaviour: &Label {
        link: "followup_id",
    },
    read_only: false,
};

/// A label other records point at through `link`.
struct Label {
    link: &'static str,
}

impl Behaviour for Label {
    fn prepare(&self, draft: &mut Draft<'_>) {
        default(&mut draft.record, "status", Value::from(0));
        require_text(&draft.record, "title", &mut draft.errors);
    }

    /// Documents keep existing when their label goes; they just lose it.
    fn after_delete(&self, firm: &mut Firm, record: &Record) {
        let id = record.fields["id"].clone();
        for other in firm.all_records_mut() {
            if other.fields.get(self.link) == Some(&id) {
                other.fields.insert(self.link.to_owned(), Value::Null);
            }
        }
    }
}
