//! A small lexer for arithmetic expressions.

use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

/// Maximum length of a number literal.
pub const MAX_NUMBER_LEN: usize = 32;

static KEYWORDS: &[&str] = &["let", "in"];

/// A lexical token.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    Ident(String),
    Op(char),
    LParen,
    RParen,
}

/// Lexer turns source text into tokens.
pub struct Lexer<'a> {
    chars: Peekable<Chars<'a>>,
    line: usize,
}

pub trait Source {
    fn next_token(&mut self) -> Option<Token>;
}

impl<'a> Lexer<'a> {
    /// Creates a lexer over src.
    pub fn new(src: &'a str) -> Self {
        Lexer { chars: src.chars().peekable(), line: 1 }
    }

    fn number(&mut self, first: char) -> Token {
        let mut s = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if c.is_ascii_digit() || c == '.' {
                s.push(c);
                self.chars.next();
            } else {
                break;
            }
        }
        Token::Number(s.parse().unwrap_or(0.0))
    }
}

impl<'a> Source for Lexer<'a> {
    fn next_token(&mut self) -> Option<Token> {
        let c = self.chars.next()?;
        match c {
            '\n' => {
                self.line += 1;
                self.next_token()
            }
            ' ' | '\t' => self.next_token(),
            '0'..='9' => Some(self.number(c)),
            '(' => Some(Token::LParen),
            ')' => Some(Token::RParen),
            '+' | '-' | '*' | '/' => Some(Token::Op(c)),
            _ => Some(Token::Ident(c.to_string())),
        }
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:?}", self)
    }
}

pub mod util {
    pub fn is_op(c: char) -> bool {
        matches!(c, '+' | '-' | '*' | '/')
    }
}

macro_rules! tok {
    ($e:expr) => {
        Token::Op($e)
    };
}
