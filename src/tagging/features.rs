//! Text → sparse TF-IDF vectors.
//!
//! Features: stemmed word unigrams, stemmed word bigrams and character n-grams taken
//! inside word boundaries (`<word>` padded). Every feature is hashed to a 64-bit key
//! (collisions are negligible), term frequencies are sublinear (`1 + ln tf`), each feature
//! group is L2-normalised separately, weighted, and the whole vector is L2-normalised.
//! IDF may be fitted on any unlabelled text (transductive IDF).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// Texts longer than this (in bytes) are cut, so huge inputs stay cheap.
pub const MAX_TEXT_BYTES: usize = 20_000;
/// At most this many tokens are used from one text.
pub const MAX_TOKENS: usize = 1_000;
/// Words longer than this (in chars) yield no character n-grams (URLs, hashes, noise).
const MAX_WORD_CHARS: usize = 30;

/// Sparse vector: sorted by index, no duplicates.
pub type SparseVec = Vec<(u32, f32)>;

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01B3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n >> 32);
    }
}

/// HashMap keyed by feature hashes.
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Feature-extraction settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeatureConfig {
    /// Weight of the word group (stemmed unigrams + bigrams).
    pub word_weight: f32,
    /// Include stemmed word bigrams.
    pub bigrams: bool,
    /// Weight of the character n-gram group (0 disables it).
    pub char_weight: f32,
    /// Smallest character n-gram.
    pub char_min: usize,
    /// Largest character n-gram.
    pub char_max: usize,
    /// Stem words (English Snowball).
    pub stem: bool,
    /// Drop very common English function words ([`STOP_WORDS`]). Off for classification
    /// (intent words such as "not", "why", "how", "can" matter there), on for clustering.
    #[serde(default)]
    pub drop_stop_words: bool,
}

/// Function words dropped when [`FeatureConfig::drop_stop_words`] is set. Deliberately keeps
/// negations and question words.
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "i", "i'm", "im", "me", "my", "mine", "myself", "you", "your", "it", "its",
    "it's", "is", "am", "are", "was", "were", "be", "been", "being", "to", "of", "in", "on", "for",
    "and", "or", "this", "that", "these", "those", "do", "does", "did", "have", "has", "had",
    "with", "at", "by", "from", "as", "so", "we", "our", "us", "they", "them", "their", "there",
    "he", "she", "his", "her", "will", "would", "should", "could", "just", "please", "if", "but",
    "some", "any", "all", "also", "too", "very", "really", "about", "into", "than", "then",
    "again", "after", "before", "up", "out", "off", "over", "get", "got", "need", "want", "keep",
    "keeps", "still", "never", "ever", "one", "two", "0", "00", "000", "0000",
];

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_weight: 1.0,
            bigrams: true,
            char_weight: 1.0,
            char_min: 3,
            char_max: 5,
            stem: true,
            drop_stop_words: false,
        }
    }
}

/// One word of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Lower-cased surface form (digits mapped to `0`).
    pub surface: String,
    /// Stem of the surface form (equal to it when stemming is off).
    pub stem: String,
}

fn cut(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Lower-cased words of `text` (Unicode word boundaries), at most [`MAX_TOKENS`].
pub fn words(text: &str) -> Vec<String> {
    let text = cut(text, MAX_TEXT_BYTES);
    text.unicode_words()
        .take(MAX_TOKENS)
        .map(|w| {
            w.chars()
                .flat_map(char::to_lowercase)
                .map(|c| if c.is_ascii_digit() { '0' } else { c })
                .map(|c| if c == '’' { '\'' } else { c })
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words with their stems.
pub fn tokenize(text: &str, stem: bool) -> Vec<Token> {
    let stemmer = Stemmer::create(Algorithm::English);
    words(text)
        .into_iter()
        .map(|surface| {
            let stem = if stem {
                let s = surface.strip_suffix("'s").unwrap_or(&surface);
                stemmer.stem(s).into_owned()
            } else {
                surface.clone()
            };
            Token { surface, stem }
        })
        .collect()
}

const FNV_OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01B3;

fn fnv_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Key of a word feature (namespace `w`).
pub fn word_key(stem: &str) -> u64 {
    finalize(fnv_bytes(fnv_bytes(FNV_OFFSET, b"w\x00"), stem.as_bytes()))
}

/// Key of a bigram feature (namespace `b`).
pub fn bigram_key(a: &str, b: &str) -> u64 {
    let h = fnv_bytes(FNV_OFFSET, b"b\x00");
    let h = fnv_bytes(h, a.as_bytes());
    let h = fnv_bytes(h, b"\x00");
    finalize(fnv_bytes(h, b.as_bytes()))
}

fn char_key(chars: &[char]) -> u64 {
    let mut h = fnv_bytes(FNV_OFFSET, b"c\x00");
    for c in chars {
        h = fnv_bytes(h, &u32::from(*c).to_le_bytes());
    }
    finalize(h)
}

/// Raw (un-weighted by IDF) features of one text: per group, sorted unique keys with
/// sublinear term frequency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawFeatures {
    pub word: Vec<(u64, f32)>,
    pub chars: Vec<(u64, f32)>,
}

impl RawFeatures {
    pub fn is_empty(&self) -> bool {
        self.word.is_empty() && self.chars.is_empty()
    }

    /// All keys of both groups.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.word.iter().chain(self.chars.iter()).map(|(k, _)| *k)
    }
}

fn count_sublinear(mut keys: Vec<u64>) -> Vec<(u64, f32)> {
    keys.sort_unstable();
    let mut out: Vec<(u64, f32)> = Vec::with_capacity(keys.len());
    let mut i = 0;
    while i < keys.len() {
        let k = keys[i];
        let mut j = i;
        while j < keys.len() && keys[j] == k {
            j += 1;
        }
        out.push((k, 1.0 + ((j - i) as f32).ln()));
        i = j;
    }
    out
}

/// Extract raw features of `text`.
pub fn raw_features(text: &str, cfg: &FeatureConfig) -> RawFeatures {
    let mut tokens = tokenize(text, cfg.stem);
    if cfg.drop_stop_words {
        tokens.retain(|t| !STOP_WORDS.contains(&t.surface.as_str()));
    }
    let mut word_keys = Vec::with_capacity(tokens.len() * 2);
    if cfg.word_weight > 0.0 {
        for t in &tokens {
            word_keys.push(word_key(&t.stem));
        }
        if cfg.bigrams {
            for pair in tokens.windows(2) {
                word_keys.push(bigram_key(&pair[0].stem, &pair[1].stem));
            }
        }
    }
    let mut char_keys = Vec::new();
    if cfg.char_weight > 0.0 && cfg.char_min > 0 && cfg.char_max >= cfg.char_min {
        let mut buf: Vec<char> = Vec::with_capacity(MAX_WORD_CHARS + 2);
        for t in &tokens {
            buf.clear();
            buf.push('<');
            buf.extend(t.surface.chars());
            buf.push('>');
            if buf.len() > MAX_WORD_CHARS + 2 {
                continue;
            }
            for n in cfg.char_min..=cfg.char_max {
                if n > buf.len() {
                    break;
                }
                for w in buf.windows(n) {
                    char_keys.push(char_key(w));
                }
            }
        }
    }
    RawFeatures {
        word: count_sublinear(word_keys),
        chars: count_sublinear(char_keys),
    }
}

/// Vocabulary: IDF for every key seen while fitting, and a dense index for the keys the
/// model has weights for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vocab {
    /// key → (idf, index or `u32::MAX` when not indexed)
    entries: KeyMap<(f32, u32)>,
    /// IDF used for keys never seen (as if document frequency were 0).
    default_idf: f32,
    /// Number of indexed keys.
    n_indexed: u32,
    config: FeatureConfig,
}

impl Vocab {
    /// Fit IDF over `docs` (`idf = ln((1+N)/(1+df)) + 1`). No key is indexed yet.
    pub fn fit<'a>(
        docs: impl IntoIterator<Item = &'a RawFeatures>,
        config: &FeatureConfig,
    ) -> Vocab {
        let mut df: KeyMap<u32> = KeyMap::default();
        let mut n = 0usize;
        for d in docs {
            n += 1;
            for k in d.keys() {
                *df.entry(k).or_insert(0) += 1;
            }
        }
        let nf = n as f32;
        let entries = df
            .into_iter()
            .map(|(k, c)| (k, (((1.0 + nf) / (1.0 + c as f32)).ln() + 1.0, u32::MAX)))
            .collect();
        Vocab {
            entries,
            default_idf: (1.0 + nf).ln() + 1.0,
            n_indexed: 0,
            config: config.clone(),
        }
    }

    /// Give a dense index to every key of `docs` (keys unseen by `fit` get the default IDF).
    pub fn index<'a>(&mut self, docs: impl IntoIterator<Item = &'a RawFeatures>) {
        for d in docs {
            for k in d.keys() {
                let default_idf = self.default_idf;
                let e = self.entries.entry(k).or_insert((default_idf, u32::MAX));
                if e.1 == u32::MAX {
                    e.1 = self.n_indexed;
                    self.n_indexed += 1;
                }
            }
        }
    }

    pub fn n_indexed(&self) -> usize {
        self.n_indexed as usize
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// IDF of a key.
    pub fn idf(&self, key: u64) -> f32 {
        self.entries.get(&key).map_or(self.default_idf, |e| e.0)
    }

    /// Index of a key, if indexed.
    pub fn index_of(&self, key: u64) -> Option<u32> {
        self.entries
            .get(&key)
            .and_then(|e| if e.1 == u32::MAX { None } else { Some(e.1) })
    }

    /// TF-IDF vector over indexed keys. Norms include non-indexed keys, so a text made
    /// mostly of unknown features gets a short vector (low similarity to everything).
    pub fn transform(&self, raw: &RawFeatures) -> SparseVec {
        let mut out: SparseVec = Vec::with_capacity(raw.word.len() + raw.chars.len());
        let groups = [
            (&raw.word, self.config.word_weight),
            (&raw.chars, self.config.char_weight),
        ];
        let mut total_sq = 0.0f32;
        for (group, weight) in groups {
            if group.is_empty() || weight <= 0.0 {
                continue;
            }
            let start = out.len();
            let mut sq = 0.0f32;
            for (k, tf) in group.iter() {
                let (idf, idx) = self
                    .entries
                    .get(k)
                    .copied()
                    .unwrap_or((self.default_idf, u32::MAX));
                let v = tf * idf;
                sq += v * v;
                if idx != u32::MAX {
                    out.push((idx, v));
                }
            }
            if sq > 0.0 {
                let scale = weight / sq.sqrt();
                for e in &mut out[start..] {
                    e.1 *= scale;
                }
                total_sq += weight * weight;
            }
        }
        if total_sq > 0.0 {
            let s = 1.0 / total_sq.sqrt();
            for e in &mut out {
                e.1 *= s;
            }
        }
        out.sort_unstable_by_key(|e| e.0);
        // Merge duplicates (only possible on a 64-bit key collision across groups).
        out.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        out
    }
}

/// Dot product of two sorted sparse vectors.
pub fn sparse_dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// L2 norm of a sparse vector.
pub fn norm(a: &[(u32, f32)]) -> f32 {
    a.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_lowercases_stems_and_survives_odd_input() {
        let t = tokenize("Cards ARRIVING late!! 12 €", true);
        let stems: Vec<&str> = t.iter().map(|t| t.stem.as_str()).collect();
        assert_eq!(stems, vec!["card", "arriv", "late", "00"]);
        assert!(tokenize("", true).is_empty());
        assert!(tokenize("🙂🙂 \u{0} \t\n", true).is_empty());
        let huge = "refund ".repeat(100_000);
        assert_eq!(tokenize(&huge, true).len(), MAX_TOKENS);
        // multi-byte char at the cut boundary must not panic
        let huge2 = "é".repeat(MAX_TEXT_BYTES);
        assert!(!tokenize(&huge2, true).is_empty());
    }

    #[test]
    fn tfidf_vectors_are_normalised_and_similar_texts_are_close() {
        let cfg = FeatureConfig::default();
        let texts = [
            "my card has not arrived",
            "card not arrived yet",
            "how do I top up",
        ];
        let raws: Vec<RawFeatures> = texts.iter().map(|t| raw_features(t, &cfg)).collect();
        let mut v = Vocab::fit(raws.iter(), &cfg);
        v.index(raws.iter());
        let vecs: Vec<SparseVec> = raws.iter().map(|r| v.transform(r)).collect();
        for x in &vecs {
            assert!((norm(x) - 1.0).abs() < 1e-4);
            assert!(x.windows(2).all(|w| w[0].0 < w[1].0));
        }
        assert!(sparse_dot(&vecs[0], &vecs[1]) > sparse_dot(&vecs[0], &vecs[2]) + 0.2);
        assert!(v.transform(&raw_features("", &cfg)).is_empty());
        // unknown text: norm < 1 because unknown features are dropped after normalising
        let unknown = v.transform(&raw_features("zebra xylophone quartz", &cfg));
        assert!(norm(&unknown) < 0.5);
    }
}
