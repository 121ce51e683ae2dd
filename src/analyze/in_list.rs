//! The type rule of `x IN (a, b, …)` for scalar operands, after ksqlDB's
//! `CoercionUtil.coerceUserList` (which `InListEvaluator.preprocess` runs over the operand and
//! the non-NULL entries): a common type is folded left to right, numbers widen, a string
//! literal must read as the number or BOOLEAN the list has so far, a non-string literal may
//! join a STRING list, and any other pair of different types fails at the entry that brings
//! it, naming the type so far, the entry's type and its text. Collections are left to
//! `constructors` and temporal types to the comparison check; this module only refuses.

use super::R;
use super::naming::expr_text;
use crate::expr::{ExprKind, Literal, TypedExpr};
use crate::sql::{Diagnostic, Expr};
use crate::types::SqlType;

/// Refuses an IN list whose entries have no common type with the operand, in ksqlDB's words.
pub(super) fn check_common_type(operand: &TypedExpr, items: &[TypedExpr], asts: &[Expr]) -> R<()> {
    let mut common = literal_value(operand)
        .is_none_or(|l| !matches!(l, Literal::Null))
        .then(|| operand.ty.clone());
    for (item, ast) in items.iter().zip(asts) {
        let value = literal_value(item);
        if matches!(value, Some(Literal::Null)) {
            continue;
        }
        let Some(so_far) = common.clone() else {
            common = Some(item.ty.clone());
            continue;
        };
        if !simple(&so_far) || !simple(&item.ty) || item.ty == so_far {
            continue;
        }
        if let Some(Literal::String(text)) = value {
            check_string_literal(&so_far, text, ast)?;
            continue;
        }
        if let Some(widened) = SqlType::widen_numeric(&so_far, &item.ty) {
            common = Some(widened);
            continue;
        }
        if value.is_some() && so_far == SqlType::String {
            continue;
        }
        return Err(Diagnostic::error(
            ast.span,
            format!(
                "Invalid Predicate: operator does not exist: {so_far} = {} ({})\n\
                 Hint: You might need to add explicit type casts.",
                item.ty,
                expr_text(ast)
            ),
        ));
    }
    Ok(())
}

/// A string literal joining a numeric or BOOLEAN list must read as one.
fn check_string_literal(so_far: &SqlType, text: &str, ast: &Expr) -> R<()> {
    let reads = if so_far.is_numeric() {
        reads_as_number(text.trim())
    } else if *so_far == SqlType::Boolean {
        reads_as_boolean(text)
    } else {
        true
    };
    if reads {
        return Ok(());
    }
    Err(Diagnostic::error(
        ast.span,
        format!(
            "Invalid Predicate: invalid input syntax for type {}: \"{text}\".",
            so_far.base_name()
        ),
    ))
}

/// The types this rule decides; others are checked elsewhere.
fn simple(ty: &SqlType) -> bool {
    ty.is_numeric() || matches!(ty, SqlType::String | SqlType::Boolean)
}

fn literal_value(expr: &TypedExpr) -> Option<&Literal> {
    match &expr.kind {
        ExprKind::Literal { value } => Some(value),
        _ => None,
    }
}

/// What Java's `BigDecimal(String)` reads: a sign, digits with at most one point, an exponent.
fn reads_as_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    digits > 0
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.matches('.').count() <= 1
        && exponent.is_none_or(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()))
}

/// ksqlDB's `SqlBooleans.parseBooleanExact`: a non-empty prefix of true, yes, false or no.
fn reads_as_boolean(text: &str) -> bool {
    !text.is_empty()
        && ["true", "yes", "false", "no"]
            .iter()
            .any(|word| text.len() <= word.len() && word[..text.len()].eq_ignore_ascii_case(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_booleans_read_as_ksqldb_reads_them() {
        for ok in ["10", "-1.5", "1e3", "+2.", ".5", "7E-2"] {
            assert!(reads_as_number(ok), "{ok}");
        }
        for bad in ["", "ten", "1.2.3", "1e", "NaN", "inf", "-"] {
            assert!(!reads_as_number(bad), "{bad}");
        }
        for ok in ["t", "TRUE", "Ye", "n", "fals"] {
            assert!(reads_as_boolean(ok), "{ok}");
        }
        for bad in ["", "truest", "maybe", "Not a boolean"] {
            assert!(!reads_as_boolean(bad), "{bad}");
        }
    }
}
