//! `[resources]`: what the bottle's containers may take of the host. The values as written
//! (sizes, CPUs, counts, `"unlimited"`); the plan checks them against each other and the host
//! and gives each container its limits ([`crate::plan::resources`]).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// `[resources]`. Every field is optional; what is not written takes the plan's default.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// `"enforced"` (the default), or `"none"`: no memory, CPU or process limit on any
    /// container of the bottle, for an engine that cannot apply them (rootless podman on
    /// cgroup v1). The scratch space keeps its size: a tmpfs needs no cgroup.
    #[serde(default)]
    pub limits: LimitsMode,
    /// The agent's memory (its `/tmp` included), or `"unlimited"`: none for any container.
    pub memory: Option<Limit<Size>>,
    /// The agent's CPUs (`2`, `1.5`), or `"unlimited"`: none for any container.
    pub cpus: Option<Limit<Cpus>>,
    /// The agent's processes and threads at once, or `"unlimited"`: none for any container.
    pub pids: Option<Limit<u32>>,
    /// The size of the agent's `/tmp`, a tmpfs (its pages count as the agent's memory).
    pub scratch: Option<Size>,
}

/// `resources.limits`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitsMode {
    /// Memory, CPU and process limits on every container (the default).
    #[default]
    Enforced,
    /// None at all: the user's explicit choice, for an engine that cannot apply them.
    None,
}

impl LimitsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitsMode::Enforced => "enforced",
            LimitsMode::None => "none",
        }
    }
}

/// A limit as written: a value, or `"unlimited"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit<T> {
    Unlimited,
    At(T),
}

/// The word for "no limit of this kind".
pub const UNLIMITED: &str = "unlimited";

/// A number of bytes, written as an integer or as `<digits><unit>` with a binary unit (`k`,
/// `m`, `g`, `t`, as the engines read `--memory`; `mb`, `mib`, `gb`, `gib`… mean the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

/// A number of CPUs, in thousandths (`1.5` is 1500): at least 0.01, at most 1024.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cpus(pub u32);

impl Size {
    /// Parses `4g`, `512m`, `1048576`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = raw.trim().to_ascii_lowercase();
        let digits = text.chars().take_while(char::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        let shift = match unit.trim_start() {
            "" | "b" => 0,
            "k" | "kb" | "kib" => 10,
            "m" | "mb" | "mib" => 20,
            "g" | "gb" | "gib" => 30,
            "t" | "tb" | "tib" => 40,
            _ => return Err(size_error(raw)),
        };
        let number: u64 = number.parse().map_err(|_| size_error(raw))?;
        number
            .checked_mul(1 << shift)
            .map(Size)
            .ok_or_else(|| format!("{raw:?} is too large"))
    }
}

fn size_error(raw: &str) -> String {
    format!(
        "{raw:?} is not a size: write a whole number of bytes, or one with a unit, such as \"512m\" or \"4g\" (k, m, g, t: binary units)"
    )
}

/// How a size is shown: the largest binary unit it is a whole number of.
impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
            if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
                return write!(f, "{} {unit}", bytes >> shift);
            }
        }
        write!(f, "{bytes} bytes")
    }
}

impl Cpus {
    /// The smallest and largest number of CPUs, in thousandths.
    const RANGE: std::ops::RangeInclusive<u32> = 10..=1_024_000;

    /// From a number of CPUs as written.
    pub fn from_f64(cpus: f64) -> Result<Self, String> {
        let milli = (cpus * 1000.0).round();
        // Checked against the range as a float: no cast can wrap.
        if !(f64::from(*Self::RANGE.start())..=f64::from(*Self::RANGE.end())).contains(&milli) {
            return Err(format!("{cpus} is not a number of CPUs from 0.01 to 1024"));
        }
        if (cpus * 1000.0 - milli).abs() > 1e-6 {
            return Err(format!(
                "{cpus}: a number of CPUs has at most three decimals"
            ));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // in range, whole
        Ok(Cpus(milli as u32))
    }

    /// As a JSON number (`1.5`).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl fmt::Display for Cpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&engine::argv::cpus(self.0))
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_u64(self.0)
    }
}

impl Serialize for Cpus {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_f64(self.as_f64())
    }
}

impl<T: Serialize> Serialize for Limit<T> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        match self {
            Limit::Unlimited => out.serialize_str(UNLIMITED),
            Limit::At(value) => value.serialize(out),
        }
    }
}

/// What a [`Limit`]'s value is read from: a number or a string (other than `"unlimited"`).
trait FromWritten: Sized {
    /// What the value is, for messages: `a size such as "4g"`.
    const EXPECTED: &'static str;
    fn from_u64(value: u64) -> Result<Self, String>;
    fn from_f64(value: f64) -> Result<Self, String> {
        Err(format!("{value} is not {}", Self::EXPECTED))
    }
    fn from_str(value: &str) -> Result<Self, String> {
        Err(format!("{value:?} is not {}", Self::EXPECTED))
    }
}

impl FromWritten for Size {
    const EXPECTED: &'static str = "a size such as \"4g\" or \"512m\"";
    fn from_u64(value: u64) -> Result<Self, String> {
        Ok(Size(value))
    }
    fn from_str(value: &str) -> Result<Self, String> {
        Size::parse(value)
    }
}

impl FromWritten for Cpus {
    const EXPECTED: &'static str = "a number of CPUs such as 2 or 1.5";
    fn from_u64(value: u64) -> Result<Self, String> {
        let value = u32::try_from(value).map_err(|_| format!("{value} CPUs is too many"))?;
        Cpus::from_f64(f64::from(value))
    }
    fn from_f64(value: f64) -> Result<Self, String> {
        Cpus::from_f64(value)
    }
}

impl FromWritten for u32 {
    const EXPECTED: &'static str = "a whole number";
    fn from_u64(value: u64) -> Result<Self, String> {
        u32::try_from(value).map_err(|_| format!("{value} is too large"))
    }
}

/// Reads `T`, or `"unlimited"` when `unlimited` allows it.
struct Written<T> {
    unlimited: bool,
    marker: std::marker::PhantomData<T>,
}

impl<T: FromWritten> Visitor<'_> for Written<T> {
    type Value = Limit<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unlimited {
            write!(f, "{}, or \"{UNLIMITED}\"", T::EXPECTED)
        } else {
            f.write_str(T::EXPECTED)
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        T::from_u64(value).map(Limit::At).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        let value = u64::try_from(value)
            .map_err(|_| E::custom(format!("{value} is negative: {}", self.expected())))?;
        self.visit_u64(value)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        T::from_f64(value).map(Limit::At).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        if value == UNLIMITED {
            return if self.unlimited {
                Ok(Limit::Unlimited)
            } else {
                Err(E::custom(format!(
                    "cannot be \"{UNLIMITED}\": write {}",
                    T::EXPECTED
                )))
            };
        }
        T::from_str(value).map(Limit::At).map_err(E::custom)
    }
}

impl<T: FromWritten> Written<T> {
    fn expected(&self) -> String {
        struct Expecting<'a, T>(&'a Written<T>);
        impl<T: FromWritten> fmt::Display for Expecting<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.expecting(f)
            }
        }
        Expecting(self).to_string()
    }
}

impl<'de, T: FromWritten> Deserialize<'de> for Limit<T> {
    fn deserialize<D: Deserializer<'de>>(input: D) -> Result<Self, D::Error> {
        input.deserialize_any(Written {
            unlimited: true,
            marker: std::marker::PhantomData,
        })
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(input: D) -> Result<Self, D::Error> {
        let written = input.deserialize_any(Written::<Size> {
            unlimited: false,
            marker: std::marker::PhantomData,
        })?;
        match written {
            Limit::At(size) => Ok(size),
            Limit::Unlimited => unreachable!("a size is never read as unlimited"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> Result<Resources, String> {
        crate::manifest::parse_toml_as::<Resources>(toml, "bottle.toml").map_err(|e| e.0)
    }

    #[test]
    fn sizes_cpus_and_counts_as_written() {
        let r = parse("memory = \"4g\"\ncpus = 1.5\npids = 512\nscratch = \"512MiB\"\n").unwrap();
        assert_eq!(r.memory, Some(Limit::At(Size(4 << 30))));
        assert_eq!(r.cpus, Some(Limit::At(Cpus(1500))));
        assert_eq!(r.pids, Some(Limit::At(512)));
        assert_eq!(r.scratch, Some(Size(512 << 20)));
        assert_eq!(r.limits, LimitsMode::Enforced);
        let r = parse("memory = 1048576\ncpus = 2\n").unwrap();
        assert_eq!(r.memory, Some(Limit::At(Size(1 << 20))));
        assert_eq!(r.cpus, Some(Limit::At(Cpus(2000))));
        let r = parse(
            "limits = \"none\"\nmemory = \"unlimited\"\ncpus = \"unlimited\"\npids = \"unlimited\"\n",
        )
        .unwrap();
        assert_eq!(r.limits, LimitsMode::None);
        assert_eq!(
            (r.memory, r.cpus, r.pids),
            (
                Some(Limit::Unlimited),
                Some(Limit::Unlimited),
                Some(Limit::Unlimited)
            )
        );
    }

    #[test]
    fn a_bad_value_names_its_field_and_what_it_should_be() {
        for (toml, field, says) in [
            ("memory = \"4 gigs\"", "memory", "is not a size"),
            ("memory = -1", "memory", "negative"),
            ("cpus = 0", "cpus", "from 0.01 to 1024"),
            ("cpus = 1.0005", "cpus", "three decimals"),
            ("cpus = \"two\"", "cpus", "is not a number of CPUs"),
            ("pids = 1.5", "pids", "is not a whole number"),
            (
                "scratch = \"unlimited\"",
                "scratch",
                "cannot be \"unlimited\"",
            ),
            ("limits = \"off\"", "limits", "unknown variant"),
            ("swap = \"1g\"", "swap", "unknown field"),
        ] {
            let err = parse(toml).unwrap_err();
            assert!(err.contains(field) && err.contains(says), "{toml}: {err}");
        }
    }

    #[test]
    fn sizes_show_in_their_largest_whole_unit() {
        assert_eq!(Size(4 << 30).to_string(), "4 GiB");
        assert_eq!(Size(1536 << 20).to_string(), "1536 MiB");
        assert_eq!(Size(1000).to_string(), "1000 bytes");
        assert_eq!(Cpus(1500).to_string(), "1.5");
    }
}
