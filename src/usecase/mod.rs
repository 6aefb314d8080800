//! What the commands do, as library use cases: the flows with their rules (what `-y`
//! approves, when a refusal exits 3, when a missing image is made), apart from the terminal.
//! A command in [`crate::cli`] parses its arguments, calls its use case with an [`Ask`] (the
//! user at a terminal), and prints what comes back; the rules are unit-tested here with a
//! scripted [`Ask`].

pub mod approve;
pub mod export;
pub mod inputs;
pub mod login;
pub mod logs;
pub mod session;
mod settle;
pub mod start;
pub mod stop;

pub use inputs::ManifestRequest;

/// The user, as a use case meets them: told things, and, when there is a terminal, asked
/// yes-or-no questions. Whether anyone can be asked is the implementation's to know; what an
/// answer (or no one to ask) means is the use case's.
pub trait Ask {
    /// Whether there is someone to ask: stdin is a terminal.
    fn can_ask(&self) -> bool;

    /// Shows `text` (a plan, what an approval records; may be empty), then asks `question`:
    /// whether the answer was yes.
    fn confirm(&mut self, text: &str, question: &str) -> anyhow::Result<bool>;

    /// Tells the user `line` (on stderr, after `bot-bottle: `).
    fn tell(&mut self, line: &str);
}

#[cfg(test)]
pub(crate) mod scripted {
    //! An [`Ask`] that answers from a script and keeps what it was told and asked.

    use super::Ask;

    /// Answers the questions in order from `answers`; no terminal when `answers` is `None`.
    #[derive(Debug, Default)]
    pub struct Scripted {
        pub answers: Option<Vec<bool>>,
        /// Each question asked, in order.
        pub asked: Vec<String>,
        /// Each line told, in order.
        pub told: Vec<String>,
    }

    impl Scripted {
        /// No terminal: nobody to ask.
        pub fn no_terminal() -> Self {
            Scripted::default()
        }

        /// A terminal where the user answers `answers`, in order.
        pub fn answering(answers: &[bool]) -> Self {
            Scripted {
                answers: Some(answers.iter().rev().copied().collect()),
                ..Scripted::default()
            }
        }
    }

    impl Ask for Scripted {
        fn can_ask(&self) -> bool {
            self.answers.is_some()
        }

        fn confirm(&mut self, _text: &str, question: &str) -> anyhow::Result<bool> {
            self.asked.push(question.to_owned());
            let answers = self
                .answers
                .as_mut()
                .expect("asked without a terminal: the use case must check can_ask first");
            Ok(answers.pop().expect("asked more questions than scripted"))
        }

        fn tell(&mut self, line: &str) {
            self.told.push(line.to_owned());
        }
    }
}
