//! Made-up people for demo data: names from many languages, addresses at
//! domains reserved for examples (RFC 2606, RFC 6761), so no demo email can
//! reach a real mailbox. The same index gives the same person every time:
//! a small seeded generator, no extra crates.

use std::collections::{HashMap, HashSet};

/// SplitMix64: tiny, fast, and good enough to make data look varied.
pub struct Rng(u64);

impl Rng {
    /// The generator of the `index`-th demo record: the same every run.
    pub fn for_index(index: u64) -> Self {
        let mut rng = Rng(index ^ 0x5DEE_CE66_D1CE_B00C);
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True `per_mille` times in a thousand.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next_u64() % 1000 < per_mille
    }

    /// A number in `low..=high`; `low` when the range is empty.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + (self.next_u64() % (high - low + 1) as u64) as i64
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Domains that can never receive mail: the demo's addresses, and how the
/// demo tells its own users from real ones (subdomains count too).
pub const DEMO_DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "example"];

/// Where the made-up people get their mail, most at the first.
const MAIL_DOMAINS: &[(&str, u64)] = &[
    ("example.com", 500),
    ("example.org", 200),
    ("example.net", 150),
    ("mail.example.com", 50),
    ("corp.example", 50),
    ("staff.example", 50),
];

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Hedy",
    "Tim",
    "Radia",
    "Vint",
    "Sophie",
    "Lukas",
    "Emma",
    "Noah",
    "Mia",
    "Liam",
    "Olivia",
    "Elias",
    "Léa",
    "Hugo",
    "Chloé",
    "Louis",
    "Inès",
    "Jules",
    "Zoë",
    "Matteo",
    "Giulia",
    "Lorenzo",
    "Sofia",
    "Alessandro",
    "Chiara",
    "Pablo",
    "Lucía",
    "Mateo",
    "Martina",
    "Álvaro",
    "Carmen",
    "João",
    "Beatriz",
    "Tiago",
    "Inês",
    "Sven",
    "Ingrid",
    "Søren",
    "Astrid",
    "Björn",
    "Freya",
    "Mikko",
    "Aino",
    "Jakub",
    "Zofia",
    "Łukasz",
    "Agnieszka",
    "Tomáš",
    "Kateřina",
    "Dmitri",
    "Anastasia",
    "Oleksandr",
    "Olena",
    "Mehmet",
    "Elif",
    "Yusuf",
    "Zeynep",
    "Omar",
    "Layla",
    "Ahmed",
    "Fatima",
    "Youssef",
    "Amira",
    "Ravi",
    "Priya",
    "Arjun",
    "Ananya",
    "Rohan",
    "Aisha",
    "Wei",
    "Mei",
    "Jun",
    "Hana",
    "Haruto",
    "Yuki",
    "Min-jun",
    "Seo-yeon",
    "Thanh",
    "Linh",
    "Kwame",
    "Ama",
    "Chidi",
    "Ngozi",
    "Tendai",
    "Thandiwe",
    "Diego",
    "Valentina",
    "Santiago",
    "Camila",
    "Mariana",
    "Gabriel",
    "Isabela",
    "Kai",
    "Leilani",
    "Aroha",
    "Tane",
    "Oliver",
    "Charlotte",
    "George",
    "Amelia",
    "Jack",
    "Isla",
    "Harry",
    "Ava",
    "Jacob",
    "Emily",
    "Daniel",
    "Sarah",
    "David",
    "Rachel",
    "Michael",
    "Laura",
    "James",
    "Anna",
    "Peter",
    "Maria",
];

const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Lamarr",
    "Berners-Lee",
    "Perlman",
    "Cerf",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Lefèvre",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Silva",
    "Santos",
    "Ferreira",
    "Pereira",
    "Oliveira",
    "Costa",
    "Johansson",
    "Andersson",
    "Nilsson",
    "Larsen",
    "Hansen",
    "Nielsen",
    "Jensen",
    "Virtanen",
    "Korhonen",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Dvořák",
    "Novák",
    "Ivanov",
    "Petrenko",
    "Kovalenko",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Haddad",
    "Nasser",
    "Mansour",
    "Khan",
    "Hussain",
    "Patel",
    "Sharma",
    "Singh",
    "Gupta",
    "Iyer",
    "Reddy",
    "Nair",
    "Zhang",
    "Wang",
    "Li",
    "Chen",
    "Liu",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Kim",
    "Park",
    "Lee",
    "Nguyen",
    "Tran",
    "Mensah",
    "Okafor",
    "Adeyemi",
    "Moyo",
    "Dlamini",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "van der Berg",
    "de Vries",
    "Janssen",
    "Peeters",
    "Ngata",
];

pub const TIME_ZONES: &[&str] = &[
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Warsaw",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Africa/Lagos",
    "Australia/Sydney",
    "UTC",
];

const TEAM_NAMES: &[&str] = &[
    "Engineering",
    "Sales",
    "Customer Support",
    "Marketing",
    "Finance",
    "People Operations",
    "Product",
    "Design",
    "Data Science",
    "Security",
    "IT Helpdesk",
    "Operations",
    "Research",
    "Quality Assurance",
    "Partnerships",
    "Legal",
    "Logistics",
    "Procurement",
    "Facilities",
    "Communications",
    "Platform",
    "Mobile",
    "Growth",
    "Customer Success",
    "Training",
    "Compliance",
    "Infrastructure",
    "Analytics",
    "Sales EMEA",
    "Sales Americas",
];

/// The `n`-th team's name: real-sounding ones first, then numbered projects.
pub fn team_name(n: usize) -> String {
    TEAM_NAMES
        .get(n)
        .map_or_else(|| format!("Project {}", n + 1), |name| name.to_string())
}

pub struct Person {
    pub name: String,
    /// The address, not yet claimed: `AddressBook::claim` makes it unique.
    pub local_part: String,
    pub domain: &'static str,
}

pub fn person(rng: &mut Rng) -> Person {
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(LAST_NAMES);
    let (f, l) = (ascii_fold(first), ascii_fold(last));
    let initial = &f[..1];
    let local_part = match rng.below(20) {
        0..=8 => format!("{f}.{l}"),
        9..=11 => format!("{initial}{l}"),
        12..=13 => format!("{f}_{l}"),
        14..=15 => format!("{l}.{f}"),
        16 => format!("{f}{}", &l[..1]),
        _ => format!("{f}.{l}{}", rng.between(60, 99)),
    };
    let mut roll = rng.below(1000) as u64;
    let domain = MAIL_DOMAINS
        .iter()
        .find(|(_, weight)| {
            let hit = roll < *weight;
            roll = roll.saturating_sub(*weight);
            hit
        })
        .map_or(MAIL_DOMAINS[0].0, |(domain, _)| domain);
    Person {
        name: format!("{first} {last}"),
        local_part,
        domain,
    }
}

/// The addresses taken in the organisation; a taken one gets a number
/// (`ada.lovelace2@…`), as mail providers do.
#[derive(Default)]
pub struct AddressBook {
    taken: HashSet<String>,
    next_number: HashMap<String, u32>,
}

impl AddressBook {
    pub fn new(taken: impl IntoIterator<Item = String>) -> Self {
        AddressBook {
            taken: taken.into_iter().collect(),
            next_number: HashMap::new(),
        }
    }

    pub fn claim(&mut self, local_part: &str, domain: &str) -> String {
        let plain = format!("{local_part}@{domain}");
        if self.taken.insert(plain.clone()) {
            return plain;
        }
        let number = self.next_number.entry(plain).or_insert(1);
        loop {
            *number += 1;
            let candidate = format!("{local_part}{number}@{domain}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// Lower-case ASCII letters for the local part of an address: accents
/// dropped, spaces, hyphens and apostrophes left out.
fn ascii_fold(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'a'..='z' | '0'..='9' => c.to_string(),
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a".into(),
            'æ' => "ae".into(),
            'ç' | 'ć' | 'č' => "c".into(),
            'è' | 'é' | 'ê' | 'ë' | 'ě' => "e".into(),
            'ì' | 'í' | 'î' | 'ï' | 'ı' => "i".into(),
            'ł' => "l".into(),
            'ñ' | 'ń' => "n".into(),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o".into(),
            'ř' => "r".into(),
            'ś' | 'š' => "s".into(),
            'ß' => "ss".into(),
            'ù' | 'ú' | 'û' | 'ü' => "u".into(),
            'ý' | 'ÿ' => "y".into(),
            'ź' | 'ż' | 'ž' => "z".into(),
            _ => String::new(),
        };
        folded.push_str(&plain);
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;
    use crate::server::auth::clean_name;

    #[test]
    fn every_name_is_stored_as_written_and_every_address_is_valid() {
        let mut book = AddressBook::default();
        for index in 0..20_000 {
            let person = person(&mut Rng::for_index(index));
            assert_eq!(clean_name(&person.name, "Name").unwrap(), person.name);
            let email = book.claim(&person.local_part, person.domain);
            let parsed = EmailAddress::parse(&email).unwrap();
            assert_eq!(parsed.as_str(), email, "stored in its one spelling");
            assert!(
                DEMO_DOMAINS
                    .iter()
                    .any(|d| email.ends_with(&format!("@{d}")) || email.ends_with(&format!(".{d}"))),
                "{email} is at a reserved domain"
            );
        }
        for team in TEAM_NAMES {
            assert_eq!(clean_name(team, "Team name").unwrap(), *team);
        }
    }

    #[test]
    fn the_same_index_gives_the_same_person() {
        let a = person(&mut Rng::for_index(42));
        let b = person(&mut Rng::for_index(42));
        assert_eq!(
            (a.name, a.local_part, a.domain),
            (b.name, b.local_part, b.domain)
        );
    }

    #[test]
    fn names_vary() {
        let names: HashSet<String> = (0..1_000)
            .map(|i| person(&mut Rng::for_index(i)).name)
            .collect();
        assert!(names.len() > 900, "{} distinct names of 1,000", names.len());
    }

    #[test]
    fn taken_addresses_get_a_number() {
        let mut book = AddressBook::new(["ada.lovelace@example.com".to_string()]);
        assert_eq!(
            book.claim("ada.lovelace", "example.com"),
            "ada.lovelace2@example.com"
        );
        assert_eq!(
            book.claim("ada.lovelace", "example.com"),
            "ada.lovelace3@example.com"
        );
        assert_eq!(
            book.claim("ada.lovelace", "example.org"),
            "ada.lovelace@example.org"
        );
    }

    #[test]
    fn names_fold_to_plain_letters() {
        assert_eq!(ascii_fold("Łukasz"), "lukasz");
        assert_eq!(ascii_fold("O'Brien"), "obrien");
        assert_eq!(ascii_fold("van der Berg"), "vanderberg");
        assert_eq!(ascii_fold("Yılmaz"), "yilmaz");
        assert_eq!(ascii_fold("Min-jun"), "minjun");
        assert_eq!(ascii_fold("Søren"), "soren");
    }

    #[test]
    fn between_stays_in_range() {
        let mut rng = Rng::for_index(7);
        for _ in 0..1_000 {
            let n = rng.between(-5, 5);
            assert!((-5..=5).contains(&n));
        }
        assert_eq!(rng.between(3, 1), 3);
    }
}
